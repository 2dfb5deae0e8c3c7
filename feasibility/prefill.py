"""Pre-fill: what a site already told us, offered again for the coordinator to confirm.

Two sources, both the site's own: its profile (capabilities, patients per year, staff), and its
last submitted answer to the same question (same canonical key and kind) in any earlier
questionnaire, from any CRO. Only answers of the request's own site are ever read.
"""

from dataclasses import dataclass
from typing import Any

from feasibility.models import (
    ANSWERED_STATUSES,
    Answer,
    AnswerSource,
    FeasibilityRequest,
    ProfileField,
    QuestionKind,
    QuestionnaireItem,
)
from feasibility.scoring import ValueRejected, clean_value
from sites.models import SiteProfile


@dataclass(frozen=True)
class Suggestion:
    value: Any
    source: str
    label: str


def _from_profile(profile: SiteProfile | None, field: str, kind: str) -> Any:
    if profile is None or not field:
        return None
    if field.startswith("capability:"):
        if kind != QuestionKind.YES_NO or not profile.capabilities:
            return None
        return "yes" if field.split(":", 1)[1] in profile.capabilities else "no"
    if field in (ProfileField.PATIENT_POPULATION, ProfileField.STAFF_COUNT):
        number = getattr(profile, field)
        if kind != QuestionKind.NUMBER or not number:
            return None
        return str(number)
    return None


def suggestions(
    *, request: FeasibilityRequest, items: list[QuestionnaireItem]
) -> dict[int, Suggestion]:
    """{item id: suggestion} for the items this site answered before (2 queries)."""
    profile = SiteProfile.objects.filter(organization_id=request.site_id).first()
    wanted = {(i.question.key, i.question.kind) for i in items if i.question.reuse_answers}
    previous: dict[tuple[str, str], Answer] = {}
    if wanted:
        rows = (
            Answer.objects.filter(
                request__site_id=request.site_id,
                request__status__in=ANSWERED_STATUSES,
                request__submitted_at__isnull=False,
                key__in={k for k, _ in wanted},
                value__isnull=False,
            )
            .exclude(request_id=request.pk)
            .select_related("request__questionnaire__study__cro")
            .order_by("key", "kind", "-request__submitted_at", "-pk")
            .distinct("key", "kind")
        )
        previous = {(a.key, a.kind): a for a in rows if (a.key, a.kind) in wanted}
    result: dict[int, Suggestion] = {}
    for item in items:
        question = item.question
        value = _from_profile(profile, question.profile_field, question.kind)
        if value is not None:
            result[item.pk] = Suggestion(value, AnswerSource.PROFILE, "from your site profile")
            continue
        answer = previous.get((question.key, question.kind))
        if answer is None:
            continue
        try:
            value = clean_value(question.kind, question.options, answer.value)
        except ValueRejected:
            continue  # the options changed; the old answer no longer fits
        if value is None:
            continue
        when = answer.request.submitted_at.date().isoformat()
        cro = answer.request.questionnaire.study.cro.name
        result[item.pk] = Suggestion(
            value, AnswerSource.PREVIOUS, f"from your answer of {when} ({cro})"
        )
    return result
