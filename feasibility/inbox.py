"""Work inbox rows of the feasibility app (registered in FeasibilityConfig.ready()): the
questionnaires a site still has to answer, and the answered ones a CRO has to review and decide.
Built on feasibility.selectors (scoped by feasibility.access over trials.access); one query each,
capped."""

from django.utils import timezone

from core.inbox import CAP, DUE_SOON, WAITING, InboxItem, urgency_for
from feasibility import selectors
from feasibility.models import RequestStatus

KINDS_SITE = {"questionnaire_due": "Questionnaires to answer"}
KINDS_CRO = {"feasibility_review": "Feasibility responses to review"}
REVIEW_STATUSES = (RequestStatus.SUBMITTED, RequestStatus.SHORTLISTED)


def _where(request) -> dict:
    study = request.questionnaire.study
    return {
        "cro_name": study.cro.name,
        "cro_id": study.cro_id,
        "study_label": study.protocol_number,
        "study_id": study.pk,
    }


def site_items(actor) -> list[InboxItem]:
    today = timezone.localdate()
    items = []
    for request in selectors.site_requests_due(actor=actor, limit=CAP):
        started = request.status == RequestStatus.IN_PROGRESS
        items.append(
            InboxItem(
                key=f"feasibility.request:{request.pk}",
                kind="questionnaire_due",
                title=(
                    f"Finish and submit the feasibility questionnaire: {request.questionnaire.title}"
                    if started
                    else f"Answer the feasibility questionnaire: {request.questionnaire.title}"
                ),
                url=request.get_absolute_url(),
                due=request.due_date,
                urgency=urgency_for(request.due_date, today, soon_days=7),
                detail=request.get_status_display(),
                since=request.sent_at,
                **_where(request),
            )
        )
    return items


def cro_items(actor) -> list[InboxItem]:
    rows = (
        selectors.request_list(actor=actor)
        .filter(
            status__in=REVIEW_STATUSES,
            questionnaire__study__in=selectors.feasibility_study_list(actor=actor).values("pk"),
        )
        .order_by("submitted_at", "pk")[:CAP]
    )
    return [
        InboxItem(
            key=f"feasibility.review:{request.pk}",
            kind="feasibility_review",
            title=(
                f"Decide on the shortlisted {request.site.name}"
                if request.status == RequestStatus.SHORTLISTED
                else f"Review the feasibility answers of {request.site.name}"
            ),
            url=request.get_absolute_url(),
            urgency=DUE_SOON if request.status == RequestStatus.SUBMITTED else WAITING,
            detail=(
                request.questionnaire.title
                + (
                    f" · score {request.score_percent}%"
                    if request.score_percent is not None
                    else ""
                )
            ),
            since=request.submitted_at,
            **_where(request),
        )
        for request in rows
    ]
