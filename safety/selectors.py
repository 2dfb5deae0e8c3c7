"""Reads of adverse events for pages, the API and the dashboards; every one starts from
trials.access, so a report the actor may not see is a 404 like a missing one."""

from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Value, When, Window

from accounts.models import Organization, User
from accounts.selectors import organization_roles
from safety.models import AdverseEvent, AdverseEventStatus
from trials import access
from trials.models import StudySiteStatus, Subject

# Sort keys offered by the list page and the API; each maps to columns (pk breaks ties).
AE_ORDERING: dict[str, tuple[str, ...]] = {
    "due_at": ("due_at",),
    "onset_date": ("onset_date",),
    "reported_at": ("reported_at",),
    "created_at": ("created_at",),
    "status": ("status",),
    "subject": ("subject__subject_identifier",),
    "study": ("subject__study_site__study__protocol_number",),
}
_RELATED = (
    "subject__study_site__study__cro",
    "subject__study_site__site",
    "acknowledged_by",
    "reported_by",
)


def _order(queryset: QuerySet, ordering: str | None) -> QuerySet:
    key = (ordering or "").lstrip("-")
    if key not in AE_ORDERING:
        return queryset.order_by("-created_at", "-pk")
    if ordering.startswith("-"):
        columns = [F(c).desc(nulls_last=True) for c in AE_ORDERING[key]]
        return queryset.order_by(*columns, "-pk")
    return queryset.order_by(*(F(c).asc(nulls_last=True) for c in AE_ORDERING[key]), "pk")


def adverse_event_list(*, actor: User, filters: dict | None = None) -> QuerySet[AdverseEvent]:
    """Reports the actor may see: a site's across all its CROs, a CRO's for its studies (CRAs:
    their sites), a sponsor's for its studies. Filters: study, site, study_site, subject,
    serious, status, late, q (term); ``ordering`` one of AE_ORDERING (``-`` for descending)."""
    filters = filters or {}
    queryset = access.scope(AdverseEvent.objects.select_related(*_RELATED), actor)
    if filters.get("study"):
        queryset = queryset.filter(subject__study_site__study_id=filters["study"])
    if filters.get("site"):
        queryset = queryset.filter(subject__study_site__site_id=filters["site"])
    if filters.get("study_site"):
        queryset = queryset.filter(subject__study_site_id=filters["study_site"])
    if filters.get("subject"):
        queryset = queryset.filter(subject_id=filters["subject"])
    if filters.get("serious") is not None:
        queryset = queryset.filter(is_serious=filters["serious"])
    if filters.get("status"):
        queryset = queryset.filter(status=filters["status"])
    if filters.get("late") is not None:
        queryset = queryset.filter(is_late=filters["late"])
    if filters.get("q"):
        queryset = queryset.filter(term__icontains=filters["q"])
    return _order(queryset, filters.get("ordering"))


def adverse_event_get(*, actor: User, adverse_event_id) -> AdverseEvent:
    return access.get_visible_or_404(
        AdverseEvent.objects.select_related(*_RELATED, "recorded_by", "initial"),
        actor,
        adverse_event_id,
    )


def follow_up_list(*, actor: User, adverse_event: AdverseEvent) -> QuerySet[AdverseEvent]:
    """The initial report's follow-ups, in order (the same list for the initial or any
    follow-up)."""
    initial_id = adverse_event.initial_id or adverse_event.pk
    return access.scope(
        AdverseEvent.objects.filter(initial_id=initial_id).select_related(*_RELATED), actor
    ).order_by("follow_up_number")


def sae_clocks_running(*, actor: User) -> QuerySet[AdverseEvent]:
    """Serious reports not yet submitted at the actor's sites, the most urgent first."""
    return adverse_event_list(
        actor=actor, filters={"status": AdverseEventStatus.DRAFT, "ordering": "due_at"}
    ).filter(subject__study_site__site_id__in=site_organization_ids(actor))


def sae_to_acknowledge(*, actor: User) -> QuerySet[AdverseEvent]:
    """Submitted serious reports waiting for the CRO's acknowledgment, oldest first."""
    return adverse_event_list(
        actor=actor, filters={"status": AdverseEventStatus.REPORTED, "ordering": "reported_at"}
    )


def site_organization_ids(actor: User) -> list[int]:
    return [org for org, roles in organization_roles(actor).items() if roles & access.SITE_ROLES]


def reportable_subjects(*, actor: User) -> QuerySet[Subject]:
    """Subjects the actor may report an adverse event for: those of their own site's
    study-sites (site roles only)."""
    return (
        access.scope(Subject.objects.all(), actor)
        .filter(study_site__site_id__in=site_organization_ids(actor))
        .select_related("study_site__study")
        .order_by("study_site__study__protocol_number", "subject_identifier")
    )


def visible_subjects(*, actor: User) -> QuerySet[Subject]:
    return access.scope(Subject.objects.select_related("study_site__study"), actor)


def subject_get(*, actor: User, subject_id) -> Subject:
    return access.get_visible_or_404(
        Subject.objects.select_related("study_site__study", "study_site__site"), actor, subject_id
    )


def filter_choices(*, actor: User) -> dict:
    """Studies and sites for the list filters (two queries)."""
    studies = list(
        access.visible_studies(actor)
        .order_by("protocol_number")
        .values_list("pk", "protocol_number")
    )
    sites = list(
        Organization.objects.filter(
            pk__in=access.visible_study_sites(actor).values("site_id")
        ).values_list("pk", "name")
    )
    return {"studies": studies, "sites": sites}


SUBJECT_PANEL_ROWS = 10


def subject_adverse_events(
    *, actor: User, subject: Subject, limit: int = SUBJECT_PANEL_ROWS
) -> dict:
    """The subject's adverse events the actor may see, for the subject page: serious drafts
    (clock running) first, then reports waiting for acknowledgment, then the rest by onset,
    newest first. One SQL query (window counts), plus the actor's roles for the "report" link."""
    rows = list(
        adverse_event_list(actor=actor, filters={"subject": subject.pk})
        .annotate(
            total=Window(Count("pk")),
            running=Window(Count("pk", filter=Q(is_serious=True, status=AdverseEventStatus.DRAFT))),
            urgency=Case(
                When(is_serious=True, status=AdverseEventStatus.DRAFT, then=Value(0)),
                When(status=AdverseEventStatus.REPORTED, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            ),
        )
        .order_by("urgency", F("due_at").asc(nulls_last=True), "-onset_date", "-pk")[:limit]
    )
    total = rows[0].total if rows else 0
    study_site = subject.study_site
    roles = access.study_site_roles(actor, study_site)
    return {
        "subject": subject,
        "rows": rows,
        "total": total,
        "running": rows[0].running if rows else 0,
        "more": max(total - len(rows), 0),
        "can_report": study_site.status != StudySiteStatus.CLOSED
        and bool(roles & access.SITE_ROLES),
    }
