"""Writes to a research site's profile: only its administrators and coordinators."""

from django.db import transaction

from accounts.models import Organization, OrganizationKind, Role, User
from accounts.selectors import organization_roles
from core.exceptions import ApplicationError, PermissionDenied
from sites.models import Capability, SiteProfile

PROFILE_EDITORS = frozenset({Role.SITE_ADMIN, Role.COORDINATOR})
PROFILE_FIELDS = (
    "address_line",
    "city",
    "region",
    "postal_code",
    "phone",
    "therapeutic_areas",
    "capabilities",
    "staff_count",
    "patient_population",
)


@transaction.atomic
def site_profile_update(*, actor: User, organization: Organization, **changes) -> SiteProfile:
    if organization.kind != OrganizationKind.SITE:
        raise ApplicationError("Only a research site has a site profile.")
    if not organization_roles(actor).get(organization.pk, set()) & PROFILE_EDITORS:
        raise PermissionDenied("Only the site's administrators and coordinators edit its profile.")
    unknown = set(changes) - set(PROFILE_FIELDS)
    if unknown:
        raise ApplicationError(f"Unknown profile fields: {', '.join(sorted(unknown))}.")
    errors: dict[str, list[str]] = {}
    bad = set(changes.get("capabilities", [])) - set(Capability.values)
    if bad:
        errors["capabilities"] = [f"Unknown capability: {', '.join(sorted(bad))}."]
    for field in ("staff_count", "patient_population"):
        if field in changes and (changes[field] is None or changes[field] < 0):
            errors[field] = ["Enter a whole number, 0 or more."]
    if errors:
        raise ApplicationError("Please correct the fields below.", fields=errors)
    if "therapeutic_areas" in changes:
        changes["therapeutic_areas"] = sorted(
            {area.strip() for area in changes["therapeutic_areas"] if area.strip()}
        )
    profile, _ = SiteProfile.objects.select_for_update().get_or_create(organization=organization)
    for field, value in changes.items():
        setattr(profile, field, value.strip() if isinstance(value, str) else value)
    profile.save()
    return profile
