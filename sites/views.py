from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from accounts.models import OrganizationKind
from accounts.selectors import active_membership, organization_roles
from core.exceptions import ApplicationError, PermissionDenied
from core.views import apply_error, forbidden
from sites import selectors, services
from sites.forms import SiteProfileForm


@login_required
def site_profile(request):
    """The active site organization's profile: everyone at the site reads it, administrators
    and coordinators edit it."""
    membership = active_membership(request)
    if membership is None or membership.organization.kind != OrganizationKind.SITE:
        return forbidden(request, PermissionDenied("Only research sites have a site profile."))
    organization = membership.organization
    profile = selectors.site_profile_get(actor=request.user, organization=organization)
    can_edit = bool(
        organization_roles(request.user).get(organization.pk, set()) & services.PROFILE_EDITORS
    )
    initial = {}
    if profile is not None:
        initial = {field: getattr(profile, field) for field in services.PROFILE_FIELDS}
        initial["therapeutic_areas"] = ", ".join(profile.therapeutic_areas)
    form = SiteProfileForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if not can_edit:
            return forbidden(request, PermissionDenied("Your role cannot edit the site profile."))
        if form.is_valid():
            try:
                services.site_profile_update(
                    actor=request.user, organization=organization, **form.cleaned_data
                )
            except PermissionDenied as error:
                return forbidden(request, error)
            except ApplicationError as error:
                apply_error(form, error)
            else:
                messages.success(request, "Site profile saved.")
                return redirect("site_profile")
    return render(
        request,
        "sites/site_profile.html",
        {"organization": organization, "profile": profile, "form": form, "can_edit": can_edit},
        status=400 if request.method == "POST" else 200,
    )
