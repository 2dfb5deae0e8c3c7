"""Pages for an organization's people: members, invitations, switching organization."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts import services
from accounts.forms import InvitationAcceptForm, InvitationForm, apply_application_error
from accounts.models import Invitation, InvitationStatus, Membership
from accounts.selectors import (
    SESSION_ORGANIZATION_KEY,
    account_exists,
    active_membership,
    can_manage_members,
    invitation_get,
    invitation_get_by_token,
    invitation_list,
    organization_member_list,
    organization_roles,
)
from core.exceptions import ApplicationError, PermissionDenied

MEMBERS_PER_PAGE = 50
MEMBERS_TEMPLATE = "accounts/organization_members.html"


def _forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "403.html", {"message": message}, status=403)


def _people(memberships: list[Membership]) -> list[dict]:
    """One row per person, with each role they hold (memberships come ordered by name)."""
    people: dict[int, dict] = {}
    for membership in memberships:
        person = people.setdefault(membership.user_id, {"user": membership.user, "roles": []})
        person["roles"].append(membership)
    return list(people.values())


@login_required
@require_http_methods(["GET", "POST"])
def organization_members(request: HttpRequest) -> HttpResponse:
    membership = active_membership(request)
    if membership is None:
        return render(request, MEMBERS_TEMPLATE, {"organization": None})
    organization = membership.organization
    can_manage = can_manage_members(actor=request.user, organization=organization)
    form = InvitationForm(organization=organization)
    sent_to = ""
    if request.method == "POST":
        form = InvitationForm(request.POST, organization=organization)
        if not form.is_valid() and not can_manage:
            return _forbidden(request, "Only an administrator of the organization can do this.")
        if form.is_valid():
            try:
                invitation = services.invitation_create(
                    actor=request.user,
                    organization=organization,
                    email=form.cleaned_data["email"],
                    role=form.cleaned_data["role"],
                )
            except PermissionDenied as exc:
                return _forbidden(request, exc.message)
            except ApplicationError as exc:
                apply_application_error(form, exc)
            else:
                sent_to = invitation.email
                if not request.htmx:
                    messages.success(request, f"Invitation sent to {sent_to}.")
                    return redirect("organization_members")
                form = InvitationForm(organization=organization)

    context = {
        "organization": organization,
        "membership": membership,
        "can_manage": can_manage,
        "form": form,
        "sent_to": sent_to,
        "invitations": (
            list(invitation_list(actor=request.user, organization=organization))
            if can_manage
            else []
        ),
    }
    if request.htmx and request.method == "POST":
        return render(request, f"{MEMBERS_TEMPLATE}#invitations", context)
    page = Paginator(
        organization_member_list(actor=request.user, organization=organization),
        MEMBERS_PER_PAGE,
    ).get_page(request.GET.get("page"))
    context.update(page_obj=page, people=_people(list(page.object_list)))
    return render(request, MEMBERS_TEMPLATE, context)


@login_required
@require_POST
def invitation_revoke(request: HttpRequest, invitation_id: int) -> HttpResponse:
    invitation = invitation_get(actor=request.user, invitation_id=invitation_id)
    try:
        invitation = services.invitation_revoke(actor=request.user, invitation=invitation)
    except PermissionDenied as exc:
        return _forbidden(request, exc.message)
    except ApplicationError as exc:
        if request.htmx:
            return render(
                request,
                f"{MEMBERS_TEMPLATE}#invitation_row",
                {"invitation": invitation, "can_manage": True, "row_error": exc.message},
            )
        messages.error(request, exc.message)
        return redirect("organization_members")
    if request.htmx:
        return render(
            request,
            f"{MEMBERS_TEMPLATE}#invitation_row",
            {"invitation": invitation, "can_manage": True},
        )
    messages.success(request, f"The invitation for {invitation.email} was revoked.")
    return redirect("organization_members")


@login_required
@require_POST
def organization_switch(request: HttpRequest) -> HttpResponse:
    try:
        organization_id = int(request.POST.get("organization", ""))
    except ValueError as exc:
        raise Http404("No such organization.") from exc
    if organization_id not in organization_roles(request.user):
        raise Http404("No such organization.")
    request.session[SESSION_ORGANIZATION_KEY] = organization_id
    return redirect("dashboard")


def _unavailable(request: HttpRequest, invitation: Invitation, message: str) -> HttpResponse:
    return render(
        request,
        "accounts/invitation_unavailable.html",
        {"invitation": invitation, "message": message},
        status=410,
    )


def _unavailable_message(invitation: Invitation) -> str:
    if invitation.status == InvitationStatus.ACCEPTED:
        return "This invitation has already been used."
    if invitation.status == InvitationStatus.REVOKED:
        return "This invitation was withdrawn by the organization."
    if invitation.is_expired:
        return "This invitation has expired."
    return ""


def _enter(request: HttpRequest, membership: Membership) -> HttpResponse:
    request.session[SESSION_ORGANIZATION_KEY] = membership.organization_id
    messages.success(
        request,
        f"Welcome to {membership.organization.name}: you joined as "
        f"{membership.get_role_display()}.",
    )
    return redirect("dashboard")


@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    invitation = invitation_get_by_token(token=token)
    if invitation is None:
        raise Http404("No such invitation.")
    unavailable = _unavailable_message(invitation)
    if unavailable:
        return _unavailable(request, invitation, unavailable)

    user = request.user
    form = None
    if user.is_authenticated:
        state = "accept" if user.email.lower() == invitation.email else "wrong_account"
    elif account_exists(email=invitation.email):
        state = "sign_in"
    else:
        state = "sign_up"
        form = InvitationAcceptForm(request.POST if request.method == "POST" else None)

    if request.method == "POST" and state == "accept":
        try:
            membership = services.invitation_accept(invitation=invitation, user=user)
        except ApplicationError as exc:
            return _unavailable(request, invitation, exc.message)
        return _enter(request, membership)

    if request.method == "POST" and state == "sign_up" and form.is_valid():
        try:
            membership = services.invitation_accept(
                invitation=invitation,
                full_name=form.cleaned_data["full_name"],
                password=form.cleaned_data["password1"],
            )
        except ApplicationError as exc:
            if not exc.fields:
                return _unavailable(request, invitation, exc.message)
            apply_application_error(form, exc, aliases={"password": "password1"})
        else:
            login(request, membership.user, backend=settings.AUTHENTICATION_BACKENDS[0])
            return _enter(request, membership)

    return render(
        request,
        "accounts/invitation_accept.html",
        {"invitation": invitation, "state": state, "form": form},
    )
