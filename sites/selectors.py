"""Reads of site profiles. A site's own people read it here; people who work with the site on
a study see it through the study-site (trials), which stands above this app."""

from accounts.models import Organization, User
from accounts.selectors import organization_roles
from sites.models import SiteProfile


def site_profile_get(*, actor: User, organization: Organization) -> SiteProfile | None:
    """The profile of a site the actor belongs to; None for anyone else."""
    if organization.pk not in organization_roles(actor):
        return None
    return SiteProfile.objects.filter(organization=organization).first()
