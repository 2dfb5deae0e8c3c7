"""Who may see and do what in feasibility. Built on trials.access (THE policy), narrowed.

Questionnaires and requests do not hang off a StudySite, so the scoping is spelled out here:

- CRO side: the study is visible through ``trials.access.visible_studies`` AND the actor holds a
  feasibility role at the study's CRO (administrator, project manager, regulatory specialist)
  or leads the study. Sponsors, finance, safety, data managers and non-lead CRAs see nothing.
- Site side: a request is seen by the people of the site it was sent to (any CRO); never by
  another site.

Anything else is a 404, the same as a missing object.
"""

from django.db.models import Q, QuerySet

from accounts.models import Role, User
from accounts.selectors import organization_roles
from core.exceptions import PermissionDenied
from trials import access as trial_access
from trials.models import Study, StudyTeamMember, TeamRole

CRO_VIEW_ROLES = frozenset({Role.ADMIN, Role.PROJECT_MANAGER, Role.REGULATORY})
CRO_MANAGE_ROLES = frozenset({Role.ADMIN, Role.PROJECT_MANAGER, trial_access.LEAD})
QUESTION_BANK_ROLES = frozenset({Role.ADMIN, Role.PROJECT_MANAGER})
SITE_ANSWER_ROLES = frozenset({Role.SITE_ADMIN, Role.COORDINATOR, Role.INVESTIGATOR})
# Who at a site is told about requests, reminders and decisions.
SITE_NOTIFY_ROLES = (Role.SITE_ADMIN, Role.COORDINATOR)


def _orgs_with(actor: User, roles) -> list[int]:
    wanted = set(roles)
    return [org for org, held in organization_roles(actor).items() if held & wanted]


def site_organization_ids(actor: User) -> list[int]:
    """Site organizations where the actor may read and answer feasibility requests."""
    return _orgs_with(actor, SITE_ANSWER_ROLES)


def feasibility_studies(actor: User) -> QuerySet[Study]:
    """Studies whose feasibility the actor may see from the CRO side."""
    if not getattr(actor, "is_authenticated", False):
        return Study.objects.none()
    cro_member_of = _orgs_with(actor, trial_access.CRO_WIDE_ROLES | {Role.CRA})
    if not cro_member_of:
        return Study.objects.none()
    led = StudyTeamMember.objects.filter(user=actor, role=TeamRole.LEAD).values("study_id")
    rule = Q(pk__in=led)
    view_orgs = _orgs_with(actor, CRO_VIEW_ROLES)
    if view_orgs:
        rule |= Q(cro_id__in=view_orgs)
    return trial_access.visible_studies(actor).filter(rule, cro_id__in=cro_member_of)


def study_feasibility_roles(actor: User, study: Study) -> frozenset[str]:
    """The actor's roles for the study's feasibility (``lead`` when they lead it)."""
    return trial_access.study_roles(actor, study) - trial_access.SPONSOR_ROLES


def require_manage(actor: User, study: Study) -> None:
    if not study_feasibility_roles(actor, study) & CRO_MANAGE_ROLES:
        raise PermissionDenied(
            "Only the study's project manager, lead or a CRO administrator may do this."
        )


def require_site_answer(actor: User, site_id: int) -> None:
    if not organization_roles(actor).get(site_id, set()) & SITE_ANSWER_ROLES:
        raise PermissionDenied("Only the site's coordinators and investigators may answer.")


def question_bank_owner_ids(actor: User) -> list[int]:
    """CRO organizations whose question bank the actor may extend."""
    return _orgs_with(actor, QUESTION_BANK_ROLES)


def cro_ids_for_questions(actor: User) -> list[int]:
    """CRO organizations whose own questions the actor may read (for building)."""
    return _orgs_with(actor, CRO_VIEW_ROLES | {Role.CRA})
