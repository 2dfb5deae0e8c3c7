"""Reads of the trial model for pages and the API; every one starts from trials.access."""

from django.db.models import Count, Q, QuerySet

from accounts.models import User
from trials import access
from trials.models import (
    Milestone,
    Study,
    StudySite,
    Subject,
    SubjectStatus,
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


def subject_list(*, actor: User, study_site: StudySite) -> QuerySet[Subject]:
    return access.scope(Subject.objects.filter(study_site=study_site), actor).order_by(
        "subject_identifier"
    )
