"""Reads of the trial model for pages and the API; every one starts from trials.access."""

from django.db.models import Count, Min, Q, QuerySet

from accounts.models import User
from trials import access
from trials.models import (
    Milestone,
    Study,
    StudySite,
    Subject,
    SubjectStatus,
    SubjectVisit,
    SubjectVisitStatus,
    VisitDefinition,
)


def study_list(*, actor: User, filters: dict | None = None) -> QuerySet[Study]:
    filters = filters or {}
    queryset = (
        access.visible_studies(actor)
        .select_related("cro", "sponsor")
        .annotate(
            site_count=Count(
                "study_sites",
                filter=Q(study_sites__in=access.visible_study_sites(actor)),
                distinct=True,
            ),
        )
        .order_by("cro__name", "protocol_number")
    )
    if filters.get("status"):
        queryset = queryset.filter(status=filters["status"])
    if filters.get("cro"):
        queryset = queryset.filter(cro_id=filters["cro"])
    if filters.get("q"):
        term = filters["q"]
        queryset = queryset.filter(Q(protocol_number__icontains=term) | Q(title__icontains=term))
    return queryset


def study_get(*, actor: User, study_id) -> Study:
    return access.get_visible_or_404(
        Study.objects.select_related("cro", "sponsor"), actor, study_id
    )


def study_site_list(*, actor: User, filters: dict | None = None) -> QuerySet[StudySite]:
    filters = filters or {}
    queryset = (
        access.visible_study_sites(actor)
        .select_related("study", "study__cro", "study__sponsor", "site", "principal_investigator")
        .annotate(
            screened_count=Count("subjects", distinct=True),
            enrolled_count=Count(
                "subjects",
                filter=Q(subjects__status__in=[SubjectStatus.ENROLLED, SubjectStatus.COMPLETED]),
                distinct=True,
            ),
        )
        .order_by("study__cro__name", "study__protocol_number", "site_number")
    )
    if filters.get("study"):
        queryset = queryset.filter(study_id=filters["study"])
    if filters.get("status"):
        queryset = queryset.filter(status=filters["status"])
    if filters.get("site"):
        queryset = queryset.filter(site_id=filters["site"])
    return queryset


def study_site_get(*, actor: User, study_site_id) -> StudySite:
    return access.get_visible_or_404(
        StudySite.objects.select_related(
            "study", "study__cro", "study__sponsor", "site", "principal_investigator"
        ),
        actor,
        study_site_id,
    )


def visit_definition_list(*, actor: User, study: Study) -> QuerySet[VisitDefinition]:
    return access.scope(VisitDefinition.objects.filter(study=study), actor).order_by(
        "order", "day_offset"
    )


def milestone_list(*, actor: User, study: Study, study_site: StudySite | None = None):
    queryset = access.scope(Milestone.objects.filter(study=study), actor)
    if study_site is not None:
        queryset = queryset.filter(study_site=study_site)
    return queryset.select_related("study_site").order_by("planned_date", "kind")


SUBJECT_ORDERING: dict[str, tuple[str, ...]] = {
    "subject": ("subject_identifier",),
    "status": ("status", "subject_identifier"),
    "screening_date": ("screening_date", "subject_identifier"),
    "enrollment_date": ("enrollment_date", "subject_identifier"),
    "next_visit": ("next_visit_date", "subject_identifier"),
}

SUBJECT_VISIT_ORDERING: dict[str, tuple[str, ...]] = {
    "target_date": ("target_date",),
    "actual_date": ("actual_date",),
    "status": ("status", "target_date"),
    "subject": ("subject__subject_identifier", "target_date"),
}


def _ordered(queryset: QuerySet, ordering: str | None, columns: dict, default: str) -> QuerySet:
    ordering = ordering if ordering and ordering.lstrip("-") in columns else default
    prefix = "-" if ordering.startswith("-") else ""
    return queryset.order_by(
        *(f"{prefix}{column}" for column in columns[ordering.lstrip("-")]), f"{prefix}pk"
    )


def subject_list(
    *, actor: User, study_site: StudySite | None = None, filters: dict | None = None
) -> QuerySet[Subject]:
    """Subjects the actor may see (of one study-site when given). Filters: ``status``,
    ``q`` (part of the subject id), ``study_site`` and ``study`` (ids)."""
    filters = filters or {}
    queryset = access.scope(Subject.objects.all(), actor)
    if study_site is not None:
        queryset = queryset.filter(study_site=study_site)
    if filters.get("study_site"):
        queryset = queryset.filter(study_site_id=filters["study_site"])
    if filters.get("study"):
        queryset = queryset.filter(study_site__study_id=filters["study"])
    if filters.get("status"):
        queryset = queryset.filter(status=filters["status"])
    if filters.get("q"):
        queryset = queryset.filter(subject_identifier__icontains=filters["q"].strip())
    return queryset.order_by("subject_identifier")


def subject_log(
    *, actor: User, study_site: StudySite | None = None, filters: dict | None = None
) -> QuerySet[Subject]:
    """The enrollment log: subjects with their visit progress and next visit due, in one
    query whatever the number of subjects or visits."""
    filters = filters or {}
    queryset = (
        subject_list(actor=actor, study_site=study_site, filters=filters)
        .select_related("study_site", "study_site__study", "study_site__site")
        .annotate(
            visit_count=Count("visits"),
            completed_visit_count=Count(
                "visits", filter=Q(visits__status=SubjectVisitStatus.COMPLETED)
            ),
            out_of_window_count=Count("visits", filter=Q(visits__out_of_window=True)),
            next_visit_date=Min(
                "visits__target_date", filter=Q(visits__status=SubjectVisitStatus.SCHEDULED)
            ),
        )
    )
    return _ordered(queryset, filters.get("ordering"), SUBJECT_ORDERING, "subject")


def subject_get(*, actor: User, subject_id) -> Subject:
    return access.get_visible_or_404(
        Subject.objects.select_related(
            "study_site", "study_site__study", "study_site__study__cro", "study_site__site"
        ),
        actor,
        subject_id,
    )


def subject_visit_list(
    *, actor: User, subject: Subject | None = None, filters: dict | None = None
) -> QuerySet[SubjectVisit]:
    """Subject visits the actor may see. Filters: ``subject``, ``study_site``, ``status``,
    ``out_of_window``, ``due_from`` / ``due_to`` (target date range), ``ordering``."""
    filters = filters or {}
    queryset = access.scope(SubjectVisit.objects.all(), actor).select_related(
        "definition", "subject", "subject__study_site"
    )
    if subject is not None:
        queryset = queryset.filter(subject=subject)
    if filters.get("subject"):
        queryset = queryset.filter(subject_id=filters["subject"])
    if filters.get("study_site"):
        queryset = queryset.filter(subject__study_site_id=filters["study_site"])
    if filters.get("status"):
        queryset = queryset.filter(status=filters["status"])
    if filters.get("out_of_window") is not None:
        queryset = queryset.filter(out_of_window=filters["out_of_window"])
    if filters.get("due_from"):
        queryset = queryset.filter(target_date__gte=filters["due_from"])
    if filters.get("due_to"):
        queryset = queryset.filter(target_date__lte=filters["due_to"])
    return _ordered(queryset, filters.get("ordering"), SUBJECT_VISIT_ORDERING, "target_date")


def subject_visit_get(*, actor: User, subject_visit_id) -> SubjectVisit:
    return access.get_visible_or_404(
        SubjectVisit.objects.select_related(
            "definition", "subject", "subject__study_site", "subject__study_site__study"
        ),
        actor,
        subject_visit_id,
    )
