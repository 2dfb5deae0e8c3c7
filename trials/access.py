"""THE access policy: which study-sites (and studies) a user may see, and with which roles.

Every selector and every API ``get_queryset`` starts here. An object the user may not see is
a 404, the same as one that does not exist. Writes additionally check the role for the action
(``require``) inside the service.

The rule (DESIGN.md section 4). A user sees a study-site when:
- they belong to the site organization; or
- they belong to the owning CRO with a role that grants it — every CRO role except CRA sees
  all the CRO's study-sites; a CRA sees the study-sites they are assigned to, and every
  study-site of a study they lead; or
- they belong to the study's sponsor (read-only).
"""

from collections.abc import Iterable

from django.db.models import Model, Q, QuerySet
from django.http import Http404

from accounts.models import Role, User
from accounts.selectors import organization_roles
from core.exceptions import PermissionDenied, RecordLocked
from trials.models import (
    CRAAssignment,
    Study,
    StudySite,
    StudySiteStatus,
    StudyTeamMember,
    TeamRole,
)

SITE_ROLES = frozenset({Role.SITE_ADMIN, Role.COORDINATOR, Role.INVESTIGATOR})
CRO_WIDE_ROLES = frozenset(
    {
        Role.ADMIN,
        Role.PROJECT_MANAGER,
        Role.REGULATORY,
        Role.DATA_MANAGER,
        Role.SAFETY,
        Role.FINANCE,
        Role.FINANCE_APPROVER,
    }
)
SPONSOR_ROLES = frozenset({Role.VIEWER})
LEAD = "lead"  # pseudo-role: the user leads the study (StudyTeamMember.role == lead)

# Which roles may perform which action. Sponsor viewers appear nowhere: they only read.
ACTIONS: dict[str, frozenset[str]] = {
    "study.create": frozenset({Role.ADMIN, Role.PROJECT_MANAGER}),
    "study.manage": frozenset({Role.ADMIN, Role.PROJECT_MANAGER, LEAD}),
    "study_site.manage": frozenset({Role.ADMIN, Role.PROJECT_MANAGER, LEAD}),
    "study_site.update_profile": frozenset({Role.SITE_ADMIN, Role.COORDINATOR}),
    "milestone.record": frozenset({Role.ADMIN, Role.PROJECT_MANAGER, LEAD, Role.CRA}),
    # The enrollment log and subject visits: only the site's own people write them.
    "subject.register": SITE_ROLES,
    "subject.transition": SITE_ROLES,
    "subject.correct": SITE_ROLES,
    "subject_visit.record": SITE_ROLES,
    "subject_visit.correct": SITE_ROLES,
    # Start-up and close-out records kept on the study-site.
    "study_site.record_agreement": frozenset({Role.ADMIN, Role.PROJECT_MANAGER, LEAD}),
    "study_site.reconcile_ip": frozenset({Role.CRA, LEAD}),
    # Study updates: the CRO posts them; the receiving site's people read and confirm them.
    "study_update.post": frozenset({Role.ADMIN, Role.PROJECT_MANAGER, LEAD}),
    "study_update.acknowledge": SITE_ROLES,
}


def _orgs_with(actor: User, roles: Iterable[str]) -> list[int]:
    wanted = set(roles)
    return [org for org, held in organization_roles(actor).items() if held & wanted]


def _led_study_ids(actor: User) -> QuerySet:
    return StudyTeamMember.objects.filter(user=actor, role=TeamRole.LEAD).values("study_id")


def visible_study_sites(actor: User) -> QuerySet[StudySite]:
    """Every study-site the actor may see, as one SQL query (subqueries, no round trips)."""
    if not getattr(actor, "is_authenticated", False):
        return StudySite.objects.none()
    site_orgs = _orgs_with(actor, SITE_ROLES)
    cro_wide = _orgs_with(actor, CRO_WIDE_ROLES)
    cra_orgs = _orgs_with(actor, {Role.CRA})
    sponsor_orgs = _orgs_with(actor, SPONSOR_ROLES)
    rule = Q()
    if site_orgs:
        rule |= Q(site_id__in=site_orgs)
    if cro_wide:
        rule |= Q(study__cro_id__in=cro_wide)
    if cra_orgs:
        assigned = CRAAssignment.objects.filter(cra=actor).values("study_site_id")
        led = StudySite.objects.filter(study_id__in=_led_study_ids(actor)).order_by().values("pk")
        # One set (assigned UNION ALL led) rather than "assigned OR led": Postgres estimates
        # the size of a set but not of an OR of two subqueries, and with its guess (a third of
        # the table) it scans every row of a big table instead of looking up a CRA's few
        # study-sites.
        rule |= Q(study__cro_id__in=cra_orgs) & Q(pk__in=assigned.union(led, all=True))
    if sponsor_orgs:
        rule |= Q(study__sponsor_id__in=sponsor_orgs)
    if not rule:
        return StudySite.objects.none()
    return StudySite.objects.filter(rule)


def visible_studies(actor: User) -> QuerySet[Study]:
    """Studies the actor may see: all studies of their CRO (non-CRA roles), studies a CRA
    leads, studies sponsored by their organization, and studies with a visible study-site."""
    if not getattr(actor, "is_authenticated", False):
        return Study.objects.none()
    cro_wide = _orgs_with(actor, CRO_WIDE_ROLES)
    cra_orgs = _orgs_with(actor, {Role.CRA})
    sponsor_orgs = _orgs_with(actor, SPONSOR_ROLES)
    site_orgs = _orgs_with(actor, SITE_ROLES)
    rule = Q()
    if cro_wide:
        rule |= Q(cro_id__in=cro_wide)
    if sponsor_orgs:
        rule |= Q(sponsor_id__in=sponsor_orgs)
    if cra_orgs:
        rule |= Q(cro_id__in=cra_orgs) & (
            Q(pk__in=_led_study_ids(actor))
            | Q(pk__in=CRAAssignment.objects.filter(cra=actor).values("study_site__study_id"))
        )
    if site_orgs:
        rule |= Q(pk__in=StudySite.objects.filter(site_id__in=site_orgs).values("study_id"))
    if not rule:
        return Study.objects.none()
    return Study.objects.filter(rule)


def scope(queryset: QuerySet, actor: User) -> QuerySet:
    """Narrow any queryset of a study-scoped model to what the actor may see.

    Models name their way to the study-site in ``study_site_path`` (e.g. ``"subject__study_site"``)
    or, for study-level records, to the study in ``study_path``; a model that is sometimes one and
    sometimes the other defines ``access_rule(visible_study_sites, visible_studies) -> Q``.
    """
    model = queryset.model
    if hasattr(model, "access_rule"):
        return queryset.filter(
            model.access_rule(visible_study_sites(actor), visible_studies(actor))
        )
    if model is StudySite:
        return queryset.filter(pk__in=visible_study_sites(actor).values("pk"))
    if model is Study:
        return queryset.filter(pk__in=visible_studies(actor).values("pk"))
    study_site_path = getattr(model, "study_site_path", None)
    if study_site_path:
        return queryset.filter(
            **{f"{study_site_path}__in": visible_study_sites(actor).values("pk")}
        )
    study_path = getattr(model, "study_path", None)
    if study_path:
        return queryset.filter(**{f"{study_path}__in": visible_studies(actor).values("pk")})
    raise TypeError(f"{model.__name__} declares neither study_site_path nor study_path")


def get_visible_or_404(queryset: QuerySet, actor: User, pk) -> Model:
    """The object with this pk if the actor may see it; otherwise the same 404 as a missing
    object."""
    try:
        return scope(queryset, actor).get(pk=pk)
    except (queryset.model.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("Not found.") from exc


def study_roles(actor: User, study: Study) -> frozenset[str]:
    """The roles the actor holds for this study (plus ``lead`` when they lead it)."""
    held = organization_roles(actor)
    roles: set[str] = set(held.get(study.cro_id, set()))
    roles |= held.get(study.sponsor_id, set()) & SPONSOR_ROLES
    if study.cro_id in held and (
        StudyTeamMember.objects.filter(study=study, user=actor, role=TeamRole.LEAD).exists()
    ):
        roles.add(LEAD)
    return frozenset(roles)


def study_site_roles(actor: User, study_site: StudySite) -> frozenset[str]:
    """The roles the actor holds for this study-site; empty when they may not see it."""
    held = organization_roles(actor)
    study = study_site.study
    roles: set[str] = set(held.get(study_site.site_id, set()) & SITE_ROLES)
    roles |= held.get(study.cro_id, set()) & CRO_WIDE_ROLES
    roles |= held.get(study.sponsor_id, set()) & SPONSOR_ROLES
    cro_roles = held.get(study.cro_id, set())
    if cro_roles:
        is_lead = StudyTeamMember.objects.filter(
            study_id=study.pk, user=actor, role=TeamRole.LEAD
        ).exists()
        if is_lead:
            roles.add(LEAD)
        if Role.CRA in cro_roles and (
            is_lead or CRAAssignment.objects.filter(study_site=study_site, cra=actor).exists()
        ):
            roles.add(Role.CRA)
    return frozenset(roles)


def require_open(study_site: StudySite) -> None:
    """A closed study-site is locked read-only: every write under it is refused. Services call
    this (after locking their own row) before changing anything that hangs off a study-site."""
    if study_site.status == StudySiteStatus.CLOSED:
        raise RecordLocked(
            f"{study_site} is closed; its records are read-only.",
            fields={"__all__": ["This study-site is closed and read-only."]},
        )


def allowed(action: str, roles: Iterable[str]) -> bool:
    return bool(ACTIONS[action] & set(roles))


def require(action: str, roles: Iterable[str]) -> None:
    """Raise PermissionDenied unless one of ``roles`` may perform ``action``."""
    if not allowed(action, roles):
        raise PermissionDenied("Your role does not allow this action.", code="permission_denied")


def is_read_only(actor: User) -> bool:
    """Sponsor viewers (and anyone with only viewer roles) never write."""
    held = set().union(*organization_roles(actor).values()) if organization_roles(actor) else set()
    return held <= SPONSOR_ROLES
