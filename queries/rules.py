"""Who may do what with a data query, by the roles ``trials.access`` gives them at the
study-site. Sponsor viewers appear nowhere: they only read."""

from collections.abc import Iterable

from accounts.models import Role
from core.exceptions import PermissionDenied
from queries.models import DataQueryAction
from trials.access import LEAD

# The CRO side: an assigned CRA (study_site_roles only grants CRA when assigned or leading),
# a data manager of the owning CRO, or the study's lead.
RAISER_SIDE = frozenset({Role.CRA, Role.DATA_MANAGER, LEAD})
SITE_SIDE = frozenset({Role.COORDINATOR, Role.INVESTIGATOR, Role.SITE_ADMIN})

QUERY_ACTIONS: dict[str, frozenset[str]] = {
    DataQueryAction.RAISE: frozenset({Role.CRA, Role.DATA_MANAGER}),
    DataQueryAction.ANSWER: SITE_SIDE,
    DataQueryAction.CLOSE: RAISER_SIDE,
    DataQueryAction.REOPEN: RAISER_SIDE,
    DataQueryAction.CANCEL: RAISER_SIDE,
}

# Roles (in the owning CRO) that may upload an EDC export for a study; each row is then
# checked against the row's study-site like a single raise.
IMPORT_ROLES = frozenset({Role.CRA, Role.DATA_MANAGER})

REFUSALS = {
    DataQueryAction.RAISE: "Only the study-site's CRA or a data manager of the CRO can raise "
    "a query.",
    DataQueryAction.ANSWER: "Only the site's staff can answer a query.",
    DataQueryAction.CLOSE: "Only the CRO side (CRA, data manager or study lead) can close a query.",
    DataQueryAction.REOPEN: "Only the CRO side (CRA, data manager or study lead) can re-open a "
    "query.",
    DataQueryAction.CANCEL: "Only the CRO side (CRA, data manager or study lead) can cancel a "
    "query.",
}


def may(action: str, roles: Iterable[str]) -> bool:
    return bool(QUERY_ACTIONS[action] & set(roles))


def require(action: str, roles: Iterable[str]) -> None:
    if not may(action, roles):
        raise PermissionDenied(REFUSALS[action])
