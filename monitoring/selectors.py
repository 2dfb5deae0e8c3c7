"""Reads of the monitoring app for pages, the API, the calendar feed and dashboards. Every one
starts from trials.access (scope / get_visible_or_404 / visible_study_sites)."""

from datetime import date, datetime, timedelta

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Role, User
from accounts.selectors import organization_roles
from monitoring.models import (
    DEFAULT_REPORT_DUE_DAYS,
    REPORT_PENDING_STATUSES,
    UPCOMING_STATUSES,
    ActionItem,
    ActionItemOwner,
    ActionItemStatus,
    FollowUpLetter,
    LetterStatus,
    MonitoringSettings,
    MonitoringVisit,
    VisitReport,
    VisitStatus,
)
from trials import access
from trials.models import Study, StudyTeamMember, Subject, SubjectStatus, TeamRole

VISIT_SORTS = {
    "date": ("planned_at",),
    "-date": ("-planned_at",),
    "status": ("status", "planned_at"),
    "site": ("study_site__site__name", "planned_at"),
    "study": ("study_site__study__protocol_number", "planned_at"),
}
ACTION_ITEM_SORTS = {
    "due": ("due_date",),
    "-due": ("-due_date",),
    "status": ("status", "due_date"),
    "site": ("study_site__site__name", "due_date"),
}


def _visits(actor: User) -> QuerySet[MonitoringVisit]:
    return access.scope(MonitoringVisit.objects.all(), actor).select_related(
        "study_site__study__cro", "study_site__site", "cra"
    )


def visit_list(*, actor: User, filters: dict | None = None) -> QuerySet[MonitoringVisit]:
    filters = filters or {}
    queryset = _visits(actor)
    if filters.get("study"):
        queryset = queryset.filter(study_site__study_id=filters["study"])
    if filters.get("site"):
        queryset = queryset.filter(study_site__site_id=filters["site"])
    if filters.get("study_site"):
        queryset = queryset.filter(study_site_id=filters["study_site"])
    if filters.get("visit_type"):
        queryset = queryset.filter(visit_type=filters["visit_type"])
    if filters.get("status"):
        queryset = queryset.filter(status=filters["status"])
    if filters.get("date_from"):
        queryset = queryset.filter(planned_at__date__gte=filters["date_from"])
    if filters.get("date_to"):
        queryset = queryset.filter(planned_at__date__lte=filters["date_to"])
    if filters.get("mine"):
        queryset = queryset.filter(cra=actor)
    sort = VISIT_SORTS.get(filters.get("sort") or "")
    return queryset.order_by(*sort, "pk") if sort else queryset.order_by("-planned_at", "-pk")


def visit_table(*, actor: User, filters: dict | None = None) -> QuerySet[MonitoringVisit]:
    """``visit_list`` for the list page and the API: the same rows in the same order, joining
    only the study-site and the CRA; the study (with its CRO) and the site of the page's rows
    come in two small queries. With all six tables joined Postgres planned longer than it ran,
    and joined every visit of every study-site before the tenancy filter applied."""
    return (
        visit_list(actor=actor, filters=filters)
        .select_related(None)
        .select_related("study_site", "cra")
        .prefetch_related(
            Prefetch("study_site__study", queryset=Study.objects.select_related("cro")),
            "study_site__site",
        )
    )


def visit_get(*, actor: User, visit_id) -> MonitoringVisit:
    return access.get_visible_or_404(_visits(actor), actor, visit_id)


def report_current(*, visit: MonitoringVisit) -> VisitReport | None:
    """The visit's newest report version (the caller has already seen the visit)."""
    return (
        VisitReport.objects.filter(visit=visit)
        .select_related("submitted_by", "reviewed_by", "created_by")
        .order_by("-version")
        .first()
    )


def report_versions(*, visit: MonitoringVisit) -> QuerySet[VisitReport]:
    return VisitReport.objects.filter(visit=visit).order_by("-version")


def letter_current(*, visit: MonitoringVisit) -> FollowUpLetter | None:
    return (
        FollowUpLetter.objects.filter(visit=visit)
        .select_related("acknowledged_by", "report")
        .order_by("-sent_at", "-pk")
        .first()
    )


def sees_reports(actor: User, study_site) -> bool:
    """Reports are the CRO's (and the sponsor's) record; the site gets the follow-up letter."""
    roles = access.study_site_roles(actor, study_site)
    return bool(roles - access.SITE_ROLES)


def previous_visit(*, visit: MonitoringVisit) -> MonitoringVisit | None:
    if visit.actual_date is None:
        return None
    return (
        MonitoringVisit.objects.filter(
            study_site_id=visit.study_site_id,
            actual_date__lt=visit.actual_date,
            actual_date__isnull=False,
        )
        .exclude(status=VisitStatus.CANCELLED)
        .order_by("-actual_date", "-pk")
        .first()
    )


def enrollment_figures(*, visit: MonitoringVisit) -> dict:
    """Screened / enrolled since the previous visit and totals to date, from the subject log
    (one aggregate query, plus one for the previous visit)."""
    until = visit.actual_date or timezone.localdate()
    previous = previous_visit(visit=visit)
    since = previous.actual_date if previous else None
    window = Q(screening_date__lte=until)
    if since:
        window &= Q(screening_date__gt=since)
    enrolled_window = Q(enrollment_date__lte=until, enrollment_date__isnull=False)
    if since:
        enrolled_window &= Q(enrollment_date__gt=since)
    figures = Subject.objects.filter(study_site_id=visit.study_site_id).aggregate(
        screened_since=Count("pk", filter=window),
        enrolled_since=Count("pk", filter=enrolled_window),
        screened_total=Count("pk"),
        enrolled_total=Count(
            "pk",
            filter=Q(
                status__in=[
                    SubjectStatus.ENROLLED,
                    SubjectStatus.COMPLETED,
                    SubjectStatus.WITHDRAWN,
                ]
            ),
        ),
        withdrawn_total=Count("pk", filter=Q(status=SubjectStatus.WITHDRAWN)),
        screen_failed_total=Count("pk", filter=Q(status=SubjectStatus.SCREEN_FAILED)),
    )
    return {
        "since": since.isoformat() if since else "",
        "until": until.isoformat(),
        **figures,
    }


def site_contacts(study_site) -> list[User]:
    """The site's coordinators and the study-site's PI: who receives letters and reminders."""
    rule = Q(
        memberships__organization_id=study_site.site_id,
        memberships__role=Role.COORDINATOR,
        memberships__is_active=True,
    )
    if study_site.principal_investigator_id:
        rule |= Q(pk=study_site.principal_investigator_id)
    return list(User.objects.filter(rule, is_active=True).distinct().order_by("pk"))


def _items(actor: User) -> QuerySet[ActionItem]:
    return access.scope(ActionItem.objects.all(), actor).select_related(
        "study_site__study__cro", "study_site__site", "visit", "raised_by"
    )


def action_item_list(*, actor: User, filters: dict | None = None) -> QuerySet[ActionItem]:
    filters = filters or {}
    queryset = _items(actor)
    if filters.get("study"):
        queryset = queryset.filter(study_site__study_id=filters["study"])
    if filters.get("site"):
        queryset = queryset.filter(study_site__site_id=filters["site"])
    if filters.get("status"):
        queryset = queryset.filter(status=filters["status"])
    if filters.get("owner"):
        queryset = queryset.filter(owner=filters["owner"])
    if filters.get("visit"):
        queryset = queryset.filter(visit_id=filters["visit"])
    if filters.get("overdue"):
        queryset = queryset.filter(status=ActionItemStatus.OPEN, due_date__lt=timezone.localdate())
    sort = ACTION_ITEM_SORTS.get(filters.get("sort") or "")
    return queryset.order_by(*sort, "pk") if sort else queryset.order_by("status", "due_date", "pk")


def action_item_table(*, actor: User, filters: dict | None = None) -> QuerySet[ActionItem]:
    """``action_item_list`` for the list page and the API: the same rows in the same order,
    joining the study-site, the visit and who raised the item; the study (with its CRO) and
    the site of the page's rows come in two small queries (shorter planning, see
    ``visit_table``)."""
    return (
        action_item_list(actor=actor, filters=filters)
        .select_related(None)
        .select_related("study_site", "visit", "raised_by")
        .prefetch_related(
            Prefetch("study_site__study", queryset=Study.objects.select_related("cro")),
            "study_site__site",
        )
    )


def action_item_get(*, actor: User, action_item_id) -> ActionItem:
    return access.get_visible_or_404(_items(actor), actor, action_item_id)


def open_action_items_before(*, visit: MonitoringVisit) -> QuerySet[ActionItem]:
    """Action items of the same study-site raised at earlier visits (or on their own) and not
    closed: listed automatically in the report's follow-up section."""
    return (
        ActionItem.objects.filter(study_site_id=visit.study_site_id)
        .exclude(status=ActionItemStatus.CLOSED)
        .exclude(visit=visit)
        .filter(Q(visit__isnull=True) | Q(visit__planned_at__lt=visit.planned_at))
        .select_related("visit")
        .order_by("due_date", "pk")
    )


def calendar_visits(*, user: User, start: datetime | None = None) -> QuerySet[MonitoringVisit]:
    """Visits for a person's calendar feed: what they may see now, not cancelled; a CRA sees
    the visits they run, everyone else the visits of their visible study-sites."""
    start = start or timezone.now() - timedelta(days=180)
    queryset = (
        _visits(user)
        .exclude(status=VisitStatus.CANCELLED)
        .filter(planned_at__gte=start)
        .order_by("planned_at", "pk")
    )
    roles = set().union(*organization_roles(user).values()) if organization_roles(user) else set()
    if roles == {Role.CRA}:
        queryset = queryset.filter(cra=user)
    return queryset


# --- dashboard panels: one or two queries each ------------------------------------------


def cra_panel(*, actor: User, today: date, limit: int = 8) -> dict:
    visits = list(
        _visits(actor)
        .filter(cra=actor)
        .filter(Q(status__in=UPCOMING_STATUSES) | Q(status__in=REPORT_PENDING_STATUSES))
        .order_by("planned_at", "pk")[:100]
    )
    upcoming = [v for v in visits if v.status in UPCOMING_STATUSES][:limit]
    to_write = [
        v for v in visits if v.status in (VisitStatus.COMPLETED, VisitStatus.REPORT_DRAFTED)
    ]
    returned = [v for v in visits if v.status == VisitStatus.RETURNED]
    by_site = list(
        _items(actor)
        .filter(status__in=[ActionItemStatus.OPEN, ActionItemStatus.RESOLVED])
        .values("study_site_id", "study_site__site__name", "study_site__study__protocol_number")
        .annotate(
            open=Count("pk", filter=Q(status=ActionItemStatus.OPEN)),
            resolved=Count("pk", filter=Q(status=ActionItemStatus.RESOLVED)),
            overdue=Count("pk", filter=Q(status=ActionItemStatus.OPEN, due_date__lt=today)),
        )
        .order_by("-overdue", "-open", "study_site__site__name")[:limit]
    )
    return {
        "upcoming": upcoming,
        "to_write": to_write[:limit],
        "returned": returned[:limit],
        "items_by_site": by_site,
        "today": today,
    }


def approvals_awaiting(*, actor: User) -> QuerySet[MonitoringVisit]:
    """Submitted reports the actor may approve: PM of the CRO or lead of the study, and not
    written by the actor."""
    pm_orgs = [
        org for org, roles in organization_roles(actor).items() if Role.PROJECT_MANAGER in roles
    ]
    led = StudyTeamMember.objects.filter(user=actor, role=TeamRole.LEAD).values("study_id")
    rule = Q(study_site__study__in=Study.objects.filter(pk__in=led))
    if pm_orgs:
        rule |= Q(study_site__study__cro_id__in=pm_orgs)
    latest = VisitReport.objects.filter(visit=OuterRef("pk"), submitted_by=actor).filter(
        status="submitted"
    )
    return (
        _visits(actor)
        .filter(rule, status=VisitStatus.SUBMITTED)
        .exclude(cra=actor)
        .exclude(Exists(latest))
        .order_by("planned_at", "pk")
    )


def site_panel(*, actor: User, today: date, limit: int = 8) -> dict:
    visits = list(
        _visits(actor)
        .select_related(None)
        .select_related("study_site__study__cro", "cra")
        .filter(
            Q(status__in=[VisitStatus.PLANNED, VisitStatus.PROPOSED])
            | Q(status=VisitStatus.CONFIRMED, planned_at__gte=timezone.now())
        )
        .order_by("planned_at", "pk")[: limit * 2]
    )
    # Each list joins only what the panel and the work inbox show (study and CRO; the CRA of
    # a visit): every extra table in a LIMIT query costs Postgres more planning than it runs.
    letters = list(
        access.scope(FollowUpLetter.objects.filter(status=LetterStatus.SENT), actor)
        .select_related("visit__study_site__study__cro")
        .order_by("sent_at", "pk")[:limit]
    )
    items = list(
        access.scope(ActionItem.objects.all(), actor)
        .select_related("study_site__study__cro")
        .filter(status=ActionItemStatus.OPEN, owner=ActionItemOwner.SITE)
        .order_by("due_date", "pk")[:limit]
    )
    return {
        "to_confirm": [v for v in visits if v.status == VisitStatus.PLANNED][:limit],
        "proposed": [v for v in visits if v.status == VisitStatus.PROPOSED][:limit],
        "upcoming": [v for v in visits if v.status == VisitStatus.CONFIRMED][:limit],
        "letters": letters,
        "items": items,
        "today": today,
    }


def plannable_study_sites(*, actor: User) -> QuerySet:
    """Study-sites where the actor plans visits and raises action items (one query): those a
    CRA of the study's CRO is assigned to, and every study-site of a study they lead."""
    from trials.models import CRAAssignment, StudySiteStatus

    held = organization_roles(actor)
    cra_orgs = [org for org, roles in held.items() if Role.CRA in roles]
    cro_orgs = list(held)
    led = StudyTeamMember.objects.filter(user=actor, role=TeamRole.LEAD).values("study_id")
    rule = Q(study_id__in=led, study__cro_id__in=cro_orgs)
    if cra_orgs:
        rule |= Q(
            pk__in=CRAAssignment.objects.filter(cra=actor).values("study_site_id"),
            study__cro_id__in=cra_orgs,
        )
    return (
        access.visible_study_sites(actor)
        .filter(rule)
        .exclude(status=StudySiteStatus.CLOSED)
        .select_related("study", "site")
        .order_by("study__protocol_number", "site_number")
    )


# --- settings ------------------------------------------------------------------------------

SETTINGS_MANAGER_ROLES = frozenset(access.ACTIONS["study.manage"] - {access.LEAD})


def _with_due_days(queryset: QuerySet[Study]) -> QuerySet[Study]:
    return queryset.annotate(
        report_due_days=Coalesce(
            Subquery(
                MonitoringSettings.objects.filter(study=OuterRef("pk")).values("report_due_days")[
                    :1
                ]
            ),
            Value(DEFAULT_REPORT_DUE_DAYS),
        )
    )


def settings_studies(*, actor: User) -> QuerySet[Study]:
    """Studies whose monitoring settings the actor may change (a project manager or
    administrator of the study's CRO, or a lead of the study), each annotated with its
    ``report_due_days``; one SQL query."""
    held = organization_roles(actor)
    manager_cros = [org for org, roles in held.items() if roles & SETTINGS_MANAGER_ROLES]
    led = StudyTeamMember.objects.filter(user=actor, role=TeamRole.LEAD).values("study_id")
    return _with_due_days(
        access.visible_studies(actor)
        .filter(Q(cro_id__in=manager_cros) | Q(pk__in=led, cro_id__in=list(held)))
        .select_related("cro")
        .order_by("protocol_number", "pk")
    )


def settings_study_get(*, actor: User, study_id) -> Study:
    """A study the actor sees (404 otherwise), annotated with its ``report_due_days``."""
    return access.get_visible_or_404(_with_due_days(Study.objects.all()), actor, study_id)


def may_change_settings(*, actor: User, study: Study) -> bool:
    return access.allowed("study.manage", access.study_roles(actor, study))
