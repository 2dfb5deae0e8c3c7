"""The dashboard panel of the scorecards app (registered in apps.ready): a link to the site's
own scorecard, or to the rankings of the CRO's / sponsor's studies. One query at most."""

from accounts.models import OrganizationKind
from accounts.selectors import active_membership
from scorecards import selectors
from trials import access

PANEL_ROWS = 5


def scorecards_panel(request) -> dict | None:
    membership = active_membership(request)
    if membership is None:
        return None
    organization = membership.organization
    if organization.kind == OrganizationKind.SITE:
        return {"site": organization, "studies": []}
    studies = list(selectors.ranked_studies(actor=request.user)[: PANEL_ROWS + 1])
    return {
        "site": None,
        "studies": studies[:PANEL_ROWS],
        "more": len(studies) > PANEL_ROWS,
    }


def study_ranking_link(request, study) -> dict | None:
    """The study page's link to the site ranking (core.panels slot "study"), for the study's
    CRO staff and sponsor viewers; None hides it."""
    if not access.study_roles(request.user, study):
        return None
    return {"study": study}
