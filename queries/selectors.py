"""Reads of data queries for pages, panels and the API; every one starts from trials.access."""

from datetime import datetime, timedelta

from django.db.models import (
    Case,
    Count,
    IntegerField,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
    Window,
)
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.models import User
from core import counts
from core.panels import first_rows
from queries import rules
from queries.models import (
    DATA_QUERY_TRANSITIONS,
    RESOLVED,
    WAITING_ON_CRO,
    WAITING_ON_SITE,
    DataQuery,
    DataQueryStatus,
    QueryMessage,
    WaitingOn,
)
from queries.services import importable_cro_ids
from trials import access
from trials.models import Study, StudySite, StudySiteStatus, Subject, SubjectVisit

# Sort keys the list page and API accept → columns (a leading "-" sorts descending).
DATA_QUERY_ORDERING: dict[str, tuple[str, ...]] = {
    "raised_at": ("raised_at",),
    "waiting_since": ("waiting_since",),
    "status": ("status",),
    "subject": ("subject__subject_identifier",),
    "study": ("study__protocol_number",),
    "site": ("study_site__site__name", "study_site__site_number"),
}

# Aging buckets for the chart: (label, from days, to days (exclusive) or None).
AGING_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("0–4 days", 0, 5),
    ("5–9 days", 5, 10),
    ("10–29 days", 10, 30),
    ("30+ days", 30, None),
)


def _base(actor: User) -> QuerySet[DataQuery]:
    return access.scope(DataQuery.objects.all(), actor)


def data_query_list(*, actor: User, filters: dict | None = None) -> QuerySet[DataQuery]:
    """Queries the actor may see (site staff: every CRO's; CRO staff: their CRO's sites they
    may see), filtered; newest first unless ``ordering`` says otherwise."""
    filters = filters or {}
    queryset = _base(actor).select_related(
        "study",
        "study__cro",
        "study_site",
        "study_site__site",
        "subject",
        "subject_visit__definition",
        "raised_by",
    )
    if filters.get("study"):
        queryset = queryset.filter(study_id=filters["study"])
    if filters.get("study_site"):
        queryset = queryset.filter(study_site_id=filters["study_site"])
    if filters.get("site"):
        queryset = queryset.filter(study_site__site_id=filters["site"])
    if filters.get("subject"):
        queryset = queryset.filter(subject_id=filters["subject"])
    if filters.get("status"):
        queryset = queryset.filter(status=filters["status"])
    waiting = filters.get("waiting_on")
    if waiting == WaitingOn.SITE:
        queryset = queryset.filter(status__in=WAITING_ON_SITE)
    elif waiting == WaitingOn.CRO:
        queryset = queryset.filter(status__in=WAITING_ON_CRO)
    elif waiting == WaitingOn.NOBODY:
        queryset = queryset.filter(status__in=RESOLVED)
    if filters.get("min_age_days"):
        cutoff = timezone.now() - timedelta(days=int(filters["min_age_days"]))
        queryset = queryset.filter(raised_at__lte=cutoff).exclude(status__in=RESOLVED)
    ordering = filters.get("ordering") or "-raised_at"
    descending = ordering.startswith("-")
    prefix = "-" if descending else ""
    columns = DATA_QUERY_ORDERING.get(ordering.lstrip("-"), ("raised_at",))
    return queryset.order_by(*(f"{prefix}{c}" for c in columns), f"{prefix}pk")


def data_query_table(*, actor: User, filters: dict | None = None) -> QuerySet[DataQuery]:
    """``data_query_list`` for the list page and the API: the same rows in the same order, with
    only the subject joined; the rest a row shows (study and CRO, study-site and site, visit
    and its definition, who raised it) is prefetched by id for the page's rows (four small
    queries). Joining all eight tables made Postgres spend longer planning the query than
    running it, and join rows before the tenancy filter had thrown them out."""
    return (
        data_query_list(actor=actor, filters=filters)
        .select_related(None)
        .select_related("subject")
        .prefetch_related(
            Prefetch("study", queryset=Study.objects.select_related("cro")),
            Prefetch("study_site", queryset=StudySite.objects.select_related("site")),
            Prefetch("subject_visit", queryset=SubjectVisit.objects.select_related("definition")),
            "raised_by",
        )
    )


def data_query_get(*, actor: User, data_query_id) -> DataQuery:
    return access.get_visible_or_404(
        DataQuery.objects.select_related(
            "study",
            "study__cro",
            "study_site",
            "study_site__site",
            "subject",
            "subject_visit__definition",
            "raised_by",
        ),
        actor,
        data_query_id,
    )


def data_query_messages(*, actor: User, data_query: DataQuery) -> QuerySet[QueryMessage]:
    return (
        access.scope(QueryMessage.objects.filter(data_query=data_query), actor)
        .select_related("author")
        .order_by("created_at", "pk")
    )


def data_query_allowed_actions(*, actor: User, data_query: DataQuery) -> set[str]:
    """The actions the actor may take on this query now (role and status both allow)."""
    roles = access.study_site_roles(actor, data_query.study_site)
    return {
        action
        for action in rules.QUERY_ACTIONS
        if action in DATA_QUERY_TRANSITIONS[data_query.status] and rules.may(action, roles)
    }


def aging_chart(*, actor: User, filters: dict | None = None) -> list[dict]:
    """Unresolved queries per age bucket (days since raised), split by who they wait on; one
    SQL query."""
    filters = {k: v for k, v in (filters or {}).items() if k not in ("status", "ordering")}
    queryset = data_query_list(actor=actor, filters=filters).exclude(status__in=RESOLVED)
    now = timezone.now()
    aggregates = {}
    for index, (_, start, end) in enumerate(AGING_BUCKETS):
        window = Q(raised_at__lte=now - timedelta(days=start))
        if end is not None:
            window &= Q(raised_at__gt=now - timedelta(days=end))
        aggregates[f"site_{index}"] = Count("pk", filter=window & Q(status__in=WAITING_ON_SITE))
        aggregates[f"cro_{index}"] = Count("pk", filter=window & Q(status__in=WAITING_ON_CRO))
    counts = queryset.order_by().aggregate(**aggregates)
    biggest = max([*counts.values(), 1])
    return [
        {
            "label": label,
            "site": counts[f"site_{index}"],
            "cro": counts[f"cro_{index}"],
            "site_pct": round(100 * counts[f"site_{index}"] / biggest),
            "cro_pct": round(100 * counts[f"cro_{index}"] / biggest),
        }
        for index, (label, _, _) in enumerate(AGING_BUCKETS)
    ]


CHART_TTL_SECONDS = counts.TTL_SECONDS


def aging_chart_cached(*, actor: User, filters: dict | None = None) -> tuple[list[dict], datetime]:
    """``aging_chart`` and when it was counted, kept per user and filters for a minute: over a
    CRO's every unresolved query it is the list page's one query that grows with the data, so
    the page says how old its numbers are instead of counting them on every view."""
    filters = {k: v for k, v in (filters or {}).items() if k not in ("status", "ordering")}
    return counts.counted(
        "queries.aging-chart",
        actor,
        lambda: aging_chart(actor=actor, filters=filters),
        sorted((k, str(v)) for k, v in filters.items()),
    )


def subject_for_query(*, actor: User, subject_id) -> Subject:
    """The subject a query is raised on (404 unless the actor sees it)."""
    return access.get_visible_or_404(
        Subject.objects.select_related("study_site__study", "study_site__site"), actor, subject_id
    )


def subject_find(*, actor: User, study_id, subject_identifier: str) -> Subject | None:
    """A visible subject of a study by its pseudonymous id (None when there is no single
    match)."""
    found = list(
        access.scope(Subject.objects.all(), actor).filter(
            study_site__study_id=study_id, subject_identifier=subject_identifier.strip()
        )[:2]
    )
    return found[0] if len(found) == 1 else None


def subject_visits_for_query(*, actor: User, subject: Subject) -> QuerySet[SubjectVisit]:
    return (
        access.scope(SubjectVisit.objects.filter(subject=subject), actor)
        .select_related("definition")
        .order_by("target_date", "pk")
    )


def subject_visit_for_query(*, actor: User, subject: Subject, subject_visit_id) -> SubjectVisit:
    return get_object_or_404(
        subject_visits_for_query(actor=actor, subject=subject), pk=subject_visit_id
    )


def may_raise_on(*, actor: User, subject: Subject) -> bool:
    return rules.may("raise", access.study_site_roles(actor, subject.study_site))


def importable_studies(*, actor: User) -> QuerySet[Study]:
    """Studies the actor may import queries into: visible studies of a CRO where they are a
    CRA or data manager."""
    cro_ids = importable_cro_ids(actor)
    if not cro_ids:
        return Study.objects.none()
    return access.visible_studies(actor).filter(cro_id__in=cro_ids).order_by("protocol_number")


def study_for_import(*, actor: User, study_id) -> Study:
    """A study the actor sees (404 otherwise); the import service checks their role."""
    return access.get_visible_or_404(Study.objects.all(), actor, study_id)


# --- dashboard panels ------------------------------------------------------------------------

PANEL_ROWS = 5


def _panel(queryset: QuerySet[DataQuery]) -> dict:
    """The longest-waiting few rows and the total (counted up to core.panels.COUNT_CAP) in one
    SQL query that walks an index on ``waiting_since`` and stops at the LIMIT; the study (and
    CRO) and study-site (and site) the rows show are prefetched by id (two small queries):
    joining them too made Postgres plan longer than it ran."""
    queryset = (
        queryset.select_related("subject")
        .prefetch_related(
            Prefetch("study", queryset=Study.objects.select_related("cro")),
            Prefetch("study_site", queryset=StudySite.objects.select_related("site")),
        )
        .order_by("waiting_since", "pk")
    )
    return first_rows(queryset, PANEL_ROWS)


def panel_queries_to_answer(*, actor: User) -> dict:
    """Site side: queries waiting on the site (every CRO's), oldest wait first."""
    return _panel(_base(actor).filter(status__in=WAITING_ON_SITE))


def panel_answers_to_review(*, actor: User) -> dict:
    """CRO side: answered queries waiting on the CRO, oldest answer first."""
    return _panel(_base(actor).filter(status=DataQueryStatus.ANSWERED))


SUBJECT_PANEL_ROWS = 10


def subject_queries(*, actor: User, subject: Subject, limit: int = SUBJECT_PANEL_ROWS) -> dict:
    """The subject's queries the actor may see, for the subject page: those waiting on the site
    first, then those waiting on the CRO, then resolved ones; newest first within each. One SQL
    query (window counts), plus the actor's roles for the "raise" link."""
    rows = list(
        data_query_list(actor=actor, filters={"subject": subject.pk})
        .annotate(
            total=Window(Count("pk")),
            unresolved=Window(Count("pk", filter=~Q(status__in=RESOLVED))),
            open_rank=Case(
                When(status__in=WAITING_ON_SITE, then=Value(0)),
                When(status__in=WAITING_ON_CRO, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            ),
        )
        .order_by("open_rank", "-raised_at", "-pk")[:limit]
    )
    total = rows[0].total if rows else 0
    study_site = subject.study_site
    return {
        "subject": subject,
        "rows": rows,
        "total": total,
        "unresolved": rows[0].unresolved if rows else 0,
        "more": max(total - len(rows), 0),
        "can_raise": study_site.status != StudySiteStatus.CLOSED
        and may_raise_on(actor=actor, subject=subject),
    }
