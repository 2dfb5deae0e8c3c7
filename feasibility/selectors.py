"""Reads for feasibility pages and the API. Every one is scoped by feasibility.access (built on
trials.access); anything outside the actor's scope is a 404."""

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from accounts.models import Organization, OrganizationKind, User
from feasibility import access
from feasibility.models import (
    ANSWERED_STATUSES,
    OPEN_STATUSES,
    Answer,
    FeasibilityAttachment,
    FeasibilityRequest,
    Question,
    Questionnaire,
    QuestionnaireItem,
    RequestStatus,
)
from feasibility.scoring import ItemScore, Score, display_value, score_item, total
from trials.models import Study

SITE = "site"
CRO = "cro"


# --- question bank ---------------------------------------------------------------------------


def question_list(*, actor: User, filters: dict | None = None) -> QuerySet[Question]:
    """Platform-standard questions plus the actor's CROs' own (CRO people only)."""
    filters = filters or {}
    owners = access.cro_ids_for_questions(actor)
    if not owners:
        return Question.objects.none()
    queryset = Question.objects.filter(Q(owner__isnull=True) | Q(owner_id__in=owners)).order_by(
        "-owner_id", "text"
    )
    if filters.get("q"):
        queryset = queryset.filter(text__icontains=filters["q"])
    if filters.get("kind"):
        queryset = queryset.filter(kind=filters["kind"])
    return queryset


def question_get(*, actor: User, question_id) -> Question:
    return get_object_or_404(question_list(actor=actor), pk=question_id)


# --- questionnaires --------------------------------------------------------------------------


def feasibility_study_list(*, actor: User) -> QuerySet[Study]:
    """Studies the actor may build questionnaires for (CRO side)."""
    return access.feasibility_studies(actor).order_by("protocol_number")


def questionnaire_list(*, actor: User, filters: dict | None = None) -> QuerySet[Questionnaire]:
    filters = filters or {}
    queryset = (
        Questionnaire.objects.filter(study__in=access.feasibility_studies(actor).values("pk"))
        .select_related("study", "study__cro", "created_by")
        .annotate(
            item_count=Count("items", distinct=True),
            request_count=Count("requests", distinct=True),
            answered_count=Count(
                "requests", filter=Q(requests__status__in=ANSWERED_STATUSES), distinct=True
            ),
        )
        .order_by("-created_at", "-pk")
    )
    if filters.get("study"):
        queryset = queryset.filter(study_id=filters["study"])
    if filters.get("status"):
        queryset = queryset.filter(status=filters["status"])
    if filters.get("q"):
        term = filters["q"]
        queryset = queryset.filter(
            Q(title__icontains=term) | Q(study__protocol_number__icontains=term)
        )
    return queryset


def questionnaire_get(*, actor: User, questionnaire_id) -> Questionnaire:
    return get_object_or_404(
        Questionnaire.objects.filter(
            study__in=access.feasibility_studies(actor).values("pk")
        ).select_related("study", "study__cro", "created_by"),
        pk=questionnaire_id,
    )


def questionnaire_items(*, questionnaire: Questionnaire) -> list[QuestionnaireItem]:
    return list(
        QuestionnaireItem.objects.filter(questionnaire=questionnaire)
        .select_related("question")
        .order_by("order", "pk")
    )


def sendable_sites(*, questionnaire: Questionnaire) -> QuerySet[Organization]:
    """Research sites not yet asked with this questionnaire and not yet in the study."""
    return (
        Organization.objects.filter(kind=OrganizationKind.SITE)
        .exclude(feasibility_requests__questionnaire=questionnaire)
        .exclude(study_sites__study_id=questionnaire.study_id)
        .order_by("name")
    )


# --- requests --------------------------------------------------------------------------------


def _visible_requests(actor: User) -> QuerySet[FeasibilityRequest]:
    site_orgs = access.site_organization_ids(actor)
    rule = Q(questionnaire__study__in=access.feasibility_studies(actor).values("pk"))
    if site_orgs:
        rule |= Q(site_id__in=site_orgs)
    return FeasibilityRequest.objects.filter(rule)


REQUEST_SORTS = {
    "due": ("due_date", "pk"),
    "-due": ("-due_date", "-pk"),
    "site": ("site__name", "pk"),
    "status": ("status", "due_date", "pk"),
    "score": ("-score_points", "pk"),
}


def request_list(*, actor: User, filters: dict | None = None) -> QuerySet[FeasibilityRequest]:
    """Requests the actor sees: sent to their site (from any CRO) or for their CRO's studies."""
    filters = filters or {}
    queryset = _visible_requests(actor).select_related(
        "questionnaire", "questionnaire__study", "questionnaire__study__cro", "site"
    )
    if filters.get("status") == "open":
        queryset = queryset.filter(status__in=OPEN_STATUSES)
    elif filters.get("status"):
        queryset = queryset.filter(status=filters["status"])
    if filters.get("questionnaire"):
        queryset = queryset.filter(questionnaire_id=filters["questionnaire"])
    if filters.get("q"):
        term = filters["q"]
        queryset = queryset.filter(
            Q(questionnaire__title__icontains=term)
            | Q(questionnaire__study__protocol_number__icontains=term)
            | Q(site__name__icontains=term)
        )
    return queryset.order_by(*REQUEST_SORTS.get(filters.get("sort") or "due", REQUEST_SORTS["due"]))


def request_get(*, actor: User, feasibility_request_id) -> FeasibilityRequest:
    return get_object_or_404(
        _visible_requests(actor).select_related(
            "questionnaire",
            "questionnaire__study",
            "questionnaire__study__cro",
            "questionnaire__study__sponsor",
            "site",
            "study_site",
            "submitted_by",
            "decided_by",
        ),
        pk=feasibility_request_id,
    )


def request_side(*, actor: User, request: FeasibilityRequest) -> str:
    """SITE when the actor answers for the request's site, else CRO (they reviewed it)."""
    return SITE if request.site_id in access.site_organization_ids(actor) else CRO


def request_answers(*, request: FeasibilityRequest) -> dict[int, Answer]:
    return {a.item_id: a for a in Answer.objects.filter(request=request)}


@dataclass
class Row:
    """One question of a request, ready to show: value, points and what earned them."""

    item: QuestionnaireItem
    answer: Answer | None
    value: object
    shown: str
    score: ItemScore


@dataclass
class Scorecard:
    rows: list[Row]
    score: Score


def scorecard(*, items: list[QuestionnaireItem], answers: dict[int, Answer]) -> Scorecard:
    rows = []
    for item in items:
        answer = answers.get(item.pk)
        value = answer.value if answer else None
        rows.append(
            Row(
                item=item,
                answer=answer,
                value=value,
                shown=display_value(item.question.kind, value),
                score=score_item(item.question.kind, item.weight, item.rule, value),
            )
        )
    return Scorecard(rows=rows, score=total([r.score for r in rows]))


@dataclass
class Comparison:
    items: list[QuestionnaireItem]
    requests: list[FeasibilityRequest]
    cards: dict[int, Scorecard] = field(default_factory=dict)

    def matrix(self) -> list[tuple[QuestionnaireItem, list[Row | None]]]:
        return [
            (
                item,
                [
                    self.cards[r.pk].rows[index] if r.pk in self.cards else None
                    for r in self.requests
                ],
            )
            for index, item in enumerate(self.items)
        ]


def comparison(*, actor: User, questionnaire: Questionnaire) -> Comparison:
    """Sites × questions for a questionnaire the actor sees from the CRO side (3 queries).

    Answers are shown once the site submitted; drafts stay the site's own."""
    items = questionnaire_items(questionnaire=questionnaire)
    requests = list(
        _visible_requests(actor)
        .filter(questionnaire=questionnaire)
        .select_related("site", "study_site")
        .order_by("-score_points", "site__name", "pk")
    )
    answered = [r.pk for r in requests if r.status in ANSWERED_STATUSES and r.submitted_at]
    by_request: dict[int, dict[int, Answer]] = {pk: {} for pk in answered}
    for answer in Answer.objects.filter(request_id__in=answered):
        by_request[answer.request_id][answer.item_id] = answer
    cards = {pk: scorecard(items=items, answers=found) for pk, found in by_request.items()}
    return Comparison(items=items, requests=requests, cards=cards)


# --- dashboard panels ------------------------------------------------------------------------


def site_requests_due(*, actor: User, limit: int = 5) -> list[FeasibilityRequest]:
    site_orgs = access.site_organization_ids(actor)
    if not site_orgs:
        return []
    return list(
        FeasibilityRequest.objects.filter(site_id__in=site_orgs, status__in=OPEN_STATUSES)
        .select_related(
            "questionnaire", "questionnaire__study", "questionnaire__study__cro", "site"
        )
        .order_by("due_date", "pk")[:limit]
    )


def cro_responses_to_review(*, actor: User, limit: int = 5) -> list[FeasibilityRequest]:
    return list(
        FeasibilityRequest.objects.filter(
            questionnaire__study__in=access.feasibility_studies(actor).values("pk"),
            status__in=(RequestStatus.SUBMITTED, RequestStatus.SHORTLISTED),
        )
        .select_related("questionnaire", "questionnaire__study", "site")
        .order_by("submitted_at", "pk")[:limit]
    )


def days_left(due: date, today: date) -> int:
    return (due - today).days


# --- attachments -------------------------------------------------------------------------------


def _attachments_visible(actor: User, request: FeasibilityRequest) -> bool:
    """The site sees its files at once; the CRO only once the answers are submitted."""
    return request_side(actor=actor, request=request) == SITE or request.status in ANSWERED_STATUSES


def attachment_list(*, actor: User, request: FeasibilityRequest) -> list[FeasibilityAttachment]:
    """Files attached to a request the actor already sees (one query)."""
    if not _attachments_visible(actor, request):
        return []
    return list(
        FeasibilityAttachment.objects.filter(request=request)
        .select_related("uploaded_by")
        .order_by("uploaded_at", "pk")
    )


def attachment_get(*, actor: User, feasibility_attachment_id) -> FeasibilityAttachment:
    """An attachment of a request the actor sees (a CRO: once submitted); 404 otherwise."""
    attachment = get_object_or_404(
        FeasibilityAttachment.objects.filter(request__in=_visible_requests(actor)).select_related(
            "request"
        ),
        pk=feasibility_attachment_id,
    )
    if not _attachments_visible(actor, attachment.request):
        raise Http404("Not found.")
    return attachment
