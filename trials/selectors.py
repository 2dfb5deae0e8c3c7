"""Reads of the trial model for pages and the API; every one starts from trials.access."""

from datetime import timedelta

from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    DateField,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from core.checklists import ChecklistItem
from core.db import correlated_count
from trials import access
from trials.models import (
    Milestone,
    Study,
    StudySite,
    StudySiteStatus,
    StudyUpdate,
    StudyUpdateRecipient,
    Subject,
    SubjectStatus,
    SubjectVisit,
    SubjectVisitStatus,
    VisitDefinition,
)


def _visible_site_count(actor: User) -> Coalesce:
    """How many of the study's study-sites the actor sees, as a correlated subquery (computed
    for the studies shown, not by joining and grouping every study-site)."""
    return correlated_count(access.visible_study_sites(actor).filter(study=OuterRef("pk")), "study")


def study_list(*, actor: User, filters: dict | None = None) -> QuerySet[Study]:
    filters = filters or {}
    queryset = (
        access.visible_studies(actor)
        .select_related("cro", "sponsor")
        .annotate(site_count=_visible_site_count(actor))
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


def _subject_count(**conditions) -> Coalesce:
    """The study-site's subjects (matching ``conditions``) counted in a correlated subquery:
    Postgres computes it only for the rows a page shows (an index lookup each), where a
    joined ``Count`` would group every subject of every visible study-site first."""
    return correlated_count(
        Subject.objects.filter(study_site=OuterRef("pk"), **conditions), "study_site"
    )


def study_site_list(*, actor: User, filters: dict | None = None) -> QuerySet[StudySite]:
    filters = filters or {}
    queryset = (
        access.visible_study_sites(actor)
        .select_related("study", "study__cro", "study__sponsor", "site", "principal_investigator")
        .annotate(
            screened_count=_subject_count(),
            enrolled_count=_subject_count(
                status__in=[SubjectStatus.ENROLLED, SubjectStatus.COMPLETED]
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


def _visit_count(**conditions) -> Coalesce:
    """How many of the subject's visits match ``conditions``, as a correlated subquery:
    computed only for the subjects a page shows, not grouped over every visible subject's
    visits before the LIMIT."""
    return correlated_count(
        SubjectVisit.objects.filter(subject=OuterRef("pk"), **conditions), "subject"
    )


def _next_visit_date() -> Subquery:
    """The subject's earliest scheduled visit date (correlated subquery, like _visit_count)."""
    earliest = (
        SubjectVisit.objects.filter(subject=OuterRef("pk"), status=SubjectVisitStatus.SCHEDULED)
        .order_by("target_date")
        .values("target_date")[:1]
    )
    return Subquery(earliest, output_field=DateField())


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
            visit_count=_visit_count(),
            completed_visit_count=_visit_count(status=SubjectVisitStatus.COMPLETED),
            out_of_window_count=_visit_count(out_of_window=True),
            next_visit_date=_next_visit_date(),
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


# --- visits coming due ----------------------------------------------------------------------

VISIT_DUE_HORIZON_DAYS = 14


class VisitDue:
    """The ``due`` filter of the visit due list and the state each row is annotated with."""

    OVERDUE = "overdue"
    THIS_WEEK = "this_week"
    NEXT_WEEK = "next_week"
    choices = [
        (OVERDUE, "Overdue"),
        (THIS_WEEK, "Due this week"),
        (NEXT_WEEK, "Due next week"),
    ]


VISIT_DUE_ORDERING: dict[str, tuple[str, ...]] = {
    "window_end": ("window_end", "window_start", "subject__subject_identifier"),
    "window_start": ("window_start", "window_end", "subject__subject_identifier"),
    "subject": ("subject__subject_identifier", "window_end"),
}


def visit_due_list(
    *, actor: User, filters: dict | None = None, today=None
) -> QuerySet[SubjectVisit]:
    """Scheduled visits of the actor's visible, not closed study-sites that are due: the
    window opens within the next 14 days, is open now, or has passed (overdue). One query for
    the rows whatever their number. Filters: ``study`` (id), ``due`` (VisitDue),
    ``ordering`` (VISIT_DUE_ORDERING, ``-`` for descending; window end by default)."""
    filters = filters or {}
    today = today or timezone.localdate()
    week = today + timedelta(days=7)
    horizon = today + timedelta(days=VISIT_DUE_HORIZON_DAYS)
    queryset = (
        access.scope(SubjectVisit.objects.all(), actor)
        .filter(status=SubjectVisitStatus.SCHEDULED, window_start__lte=horizon)
        .exclude(subject__study_site__status=StudySiteStatus.CLOSED)
        # The study (with its CRO) and the site of the page's rows come in two small queries:
        # joining them as well made Postgres spend several times longer planning than running.
        .select_related("definition", "subject", "subject__study_site")
        .prefetch_related(
            Prefetch("subject__study_site__study", queryset=Study.objects.select_related("cro")),
            "subject__study_site__site",
        )
        .annotate(
            due_state=Case(
                When(window_end__lt=today, then=Value(VisitDue.OVERDUE)),
                When(window_start__lte=week, then=Value(VisitDue.THIS_WEEK)),
                default=Value(VisitDue.NEXT_WEEK),
                output_field=CharField(),
            ),
            window_open=Case(
                When(window_start__lte=today, window_end__gte=today, then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            ),
        )
    )
    if filters.get("study"):
        queryset = queryset.filter(subject__study_site__study_id=filters["study"])
    due = filters.get("due")
    if due == VisitDue.OVERDUE:
        queryset = queryset.filter(window_end__lt=today)
    elif due == VisitDue.THIS_WEEK:
        queryset = queryset.filter(window_end__gte=today, window_start__lte=week)
    elif due == VisitDue.NEXT_WEEK:
        queryset = queryset.filter(window_start__gt=week)
    return _ordered(queryset, filters.get("ordering"), VISIT_DUE_ORDERING, "window_end")


# --- study updates --------------------------------------------------------------------------


def _recipients(actor: User) -> QuerySet[StudyUpdateRecipient]:
    return access.scope(StudyUpdateRecipient.objects.all(), actor)


def study_update_list(
    *, actor: User, filters: dict | None = None, with_recipients: bool = False
) -> QuerySet[StudyUpdate]:
    """Updates the actor may see (those sent to a study-site they see), newest first, with how
    many of the sites they see received, read and confirmed each one. Filters: ``study``,
    ``kind``."""
    filters = filters or {}
    seen = Q(recipients__study_site__in=access.visible_study_sites(actor).values("pk"))
    queryset = (
        access.scope(StudyUpdate.objects.all(), actor)
        .select_related("study", "study__cro", "posted_by")
        .annotate(
            site_count=Count("recipients", filter=seen, distinct=True),
            read_count=Count(
                "recipients", filter=seen & Q(recipients__read_at__isnull=False), distinct=True
            ),
            confirmed_count=Count(
                "recipients",
                filter=seen & Q(recipients__confirmed_at__isnull=False),
                distinct=True,
            ),
        )
        .order_by("-posted_at", "-pk")
    )
    if filters.get("study"):
        queryset = queryset.filter(study_id=filters["study"])
    if filters.get("kind"):
        queryset = queryset.filter(kind=filters["kind"])
    if with_recipients:
        queryset = queryset.prefetch_related(
            Prefetch(
                "recipients",
                queryset=_recipients(actor)
                .select_related("study_site", "read_by", "confirmed_by")
                .order_by("study_site__site_number"),
                to_attr="visible_recipients",
            )
        )
    return queryset


def study_update_get(*, actor: User, study_update_id) -> StudyUpdate:
    """One update, with the receiving study-sites the actor may see prefetched (one query)."""
    update = access.get_visible_or_404(
        StudyUpdate.objects.select_related("study", "study__cro", "posted_by"),
        actor,
        study_update_id,
    )
    update.visible_recipients = list(
        _recipients(actor)
        .filter(study_update=update)
        .select_related("study_site", "study_site__site", "read_by", "confirmed_by")
        .order_by("study_site__site_number")
    )
    return update


def site_org_ids(actor: User) -> list[int]:
    """Site organizations where the actor works (any site role)."""
    return _site_org_ids(actor)


def study_update_inbox(*, actor: User, filters: dict | None = None) -> QuerySet:
    """A site's view: the update copies of the study-sites the actor works at, across every CRO,
    with what is still to do (unread, or confirmation asked and not given) first. Filters:
    ``study``, ``kind``, ``pending`` (only what is still to do)."""
    filters = filters or {}
    queryset = (
        _recipients(actor)
        .filter(study_site__site_id__in=_site_org_ids(actor))
        .select_related(
            "study_update",
            "study_update__study",
            "study_update__study__cro",
            "study_update__posted_by",
            "study_site",
            "read_by",
            "confirmed_by",
        )
        .annotate(
            pending=Case(
                When(read_at__isnull=True, then=Value(1)),
                When(
                    study_update__confirmation_required=True,
                    confirmed_at__isnull=True,
                    then=Value(1),
                ),
                default=Value(0),
                output_field=IntegerField(),
            )
        )
        .order_by("-pending", "-study_update__posted_at", "-pk")
    )
    if filters.get("study"):
        queryset = queryset.filter(study_update__study_id=filters["study"])
    if filters.get("kind"):
        queryset = queryset.filter(study_update__kind=filters["kind"])
    if filters.get("pending"):
        queryset = queryset.filter(pending=1)
    return queryset


def study_update_recipient_get(*, actor: User, study_update_recipient_id) -> StudyUpdateRecipient:
    return access.get_visible_or_404(
        StudyUpdateRecipient.objects.select_related(
            "study_update", "study_update__study", "study_site", "read_by", "confirmed_by"
        ),
        actor,
        study_update_recipient_id,
    )


def _site_org_ids(actor: User) -> list[int]:
    from accounts.selectors import organization_roles

    return [org for org, roles in organization_roles(actor).items() if roles & access.SITE_ROLES]


def postable_studies(*, actor: User) -> QuerySet[Study]:
    """Studies the actor may post updates to: their CRO's studies as admin or project manager,
    and those they lead."""
    from accounts.models import Role
    from accounts.selectors import organization_roles
    from trials.models import StudyTeamMember, TeamRole

    held = organization_roles(actor)
    managing = [org for org, roles in held.items() if roles & {Role.ADMIN, Role.PROJECT_MANAGER}]
    led = StudyTeamMember.objects.filter(user=actor, role=TeamRole.LEAD).values("study_id")
    return (
        access.visible_studies(actor)
        .filter(Q(cro_id__in=managing) | (Q(pk__in=led) & Q(cro_id__in=list(held))))
        .order_by("protocol_number")
    )


# --- checklist items owned by trials (registered in TrialsConfig.ready) ----------------------


def _study_site_url(study_site) -> str:
    return reverse("study_site_detail", kwargs={"study_site_id": study_site.pk})


def agreement_checklist_items(study_site) -> list[ChecklistItem]:
    """Activation: the clinical trial agreement is signed (no query: a field of the row)."""
    signed = study_site.agreement_signed_on
    return [
        ChecklistItem(
            key="trials.agreement_signed",
            label="Clinical trial agreement signed",
            done=signed is not None,
            detail=f"Signed on {signed:%Y-%m-%d}." if signed else "No signing date recorded.",
            url=_study_site_url(study_site),
        )
    ]


def ip_reconciliation_checklist_items(study_site) -> list[ChecklistItem]:
    """Close-out: the investigational product is attested reconciled (no query)."""
    at = study_site.ip_reconciled_at
    return [
        ChecklistItem(
            key="trials.ip_reconciled",
            label="Investigational product reconciled",
            done=at is not None,
            detail=(
                f"Attested on {timezone.localtime(at):%Y-%m-%d %H:%M %Z}."
                if at
                else "The assigned CRA or the study lead attests it on the study-site page."
            ),
            url=_study_site_url(study_site),
        )
    ]
