"""Invented feasibility demo rows (called from dashboards/demo.py inside seed_demo's
transaction and audit context). Idempotent: every row is looked up by its natural key.

- Apex asked Lakeside about APX-RESP-115 a while ago; Lakeside answered (so those answers
  pre-fill the next questionnaire, whichever CRO sends it).
- Meridian is planning MER-NEPH-120 and asked Lakeside (open, due in 6 days: the coordinator
  sees pre-filled answers) and Riverbend (submitted: the PM has a response to review).
"""

import importlib
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from accounts.models import Organization, User
from feasibility.models import (
    Answer,
    AnswerSource,
    FeasibilityRequest,
    Question,
    Questionnaire,
    QuestionnaireItem,
    QuestionnaireStatus,
    RequestStatus,
)
from feasibility.scoring import score_item, total
from trials.models import Study, StudyStatus

MERIDIAN = "Meridian CRO (demo)"
APEX = "Apex Research (demo)"
HELIX = "Helix Therapeutics (demo)"
LAKESIDE = "Lakeside Clinical Research (demo)"
RIVERBEND = "Riverbend Medical Center (demo)"

# key, weight, rule, required
MERIDIAN_ITEMS = (
    ("investigational-pharmacy", 20, {"expect": "yes"}, True),
    ("freezer-minus-80", 15, {"expect": "yes"}, True),
    ("patients-with-condition-per-year", 25, {"min": "150"}, True),
    ("irb-type", 15, {"points": {"Local": 100, "Central": 80, "Both": 100}}, True),
    ("average-startup-days", 15, {"max": "60"}, True),
    ("active-studies", 0, {}, False),
    ("edc-systems", 10, {"points": {"Medidata Rave": 60, "Veeva Vault EDC": 40}}, False),
)
APEX_ITEMS = (
    ("irb-type", 10, {"points": {"Local": 100, "Central": 100, "Both": 100}}, True),
    ("active-studies", 0, {}, True),
    ("average-startup-days", 10, {"max": "75"}, True),
    ("investigational-pharmacy", 10, {"expect": "yes"}, True),
)
LAKESIDE_APEX_ANSWERS = {
    "irb-type": "Local",
    "active-studies": "14",
    "average-startup-days": "48",
    "investigational-pharmacy": "yes",
}
RIVERBEND_MERIDIAN_ANSWERS = {
    "investigational-pharmacy": ("yes", AnswerSource.PROFILE),
    "freezer-minus-80": ("no", AnswerSource.PROFILE),
    "patients-with-condition-per-year": ("210", AnswerSource.ENTERED),
    "irb-type": ("Central", AnswerSource.ENTERED),
    "average-startup-days": ("55", AnswerSource.ENTERED),
    "active-studies": ("6", AnswerSource.ENTERED),
    "edc-systems": (["Medidata Rave", "REDCap"], AnswerSource.ENTERED),
}


def _questionnaire(study, title, instructions, author, items, created) -> Questionnaire:
    questionnaire, made = Questionnaire.objects.get_or_create(
        study=study,
        title=title,
        defaults={
            "instructions": instructions,
            "created_by": author,
            "status": QuestionnaireStatus.SENT,
        },
    )
    created["questionnaires"] += made
    for order, (key, weight, rule, required) in enumerate(items, start=1):
        _, made = QuestionnaireItem.objects.get_or_create(
            questionnaire=questionnaire,
            question=Question.objects.get(owner__isnull=True, key=key),
            defaults={"order": order, "weight": weight, "rule": rule, "required": required},
        )
        created["items"] += made
    return questionnaire


def _answered(questionnaire, site, answers, person, sent_by, due, submitted_at, created):
    request, made = FeasibilityRequest.objects.get_or_create(
        questionnaire=questionnaire,
        site=site,
        defaults={
            "due_date": due,
            "sent_by": sent_by,
            "status": RequestStatus.SUBMITTED,
            "submitted_at": submitted_at,
            "submitted_by": person,
        },
    )
    created["requests"] += made
    if not made:
        return request
    items = {
        i.question.key: i
        for i in QuestionnaireItem.objects.filter(questionnaire=questionnaire).select_related(
            "question"
        )
    }
    scores = []
    for key, entry in answers.items():
        value, source = entry if isinstance(entry, tuple) else (entry, AnswerSource.ENTERED)
        item = items[key]
        Answer.objects.create(
            request=request,
            item=item,
            key=key,
            kind=item.question.kind,
            value=value,
            source=source,
            updated_by=person,
        )
        created["answers"] += 1
    for key, item in items.items():
        value = answers.get(key)
        value = value[0] if isinstance(value, tuple) else value
        scores.append(score_item(item.question.kind, item.weight, item.rule, value))
    score = total(scores)
    request.score_points, request.score_max = score.points, score.maximum
    request.save(update_fields=["score_points", "score_max"])
    return request


def _ensure_standard_questions() -> None:
    """The platform's standard questions come from a data migration; a database emptied since
    (a test run's flush, a manual reset) gets them back, idempotently, from the same list."""
    from django.apps import apps

    migration = importlib.import_module("feasibility.migrations.0002_standard_questions")
    migration.add_standard_questions(apps, None)


def seed(*, today: date) -> dict[str, int]:
    _ensure_standard_questions()
    created = {"studies": 0, "questionnaires": 0, "items": 0, "requests": 0, "answers": 0}
    orgs = {
        o.name: o
        for o in Organization.objects.filter(name__in=[MERIDIAN, APEX, HELIX, LAKESIDE, RIVERBEND])
    }
    people = {
        u.email: u
        for u in User.objects.filter(
            email__in=[
                "pm@meridian.example",
                "pm@apex.example",
                "coordinator@lakeside.example",
                "coordinator@riverbend.example",
            ]
        )
    }
    if len(orgs) < 5 or len(people) < 4:
        return created
    meridian_pm = people["pm@meridian.example"]
    apex_pm = people["pm@apex.example"]

    nephrology, made = Study.objects.get_or_create(
        cro=orgs[MERIDIAN],
        protocol_number="MER-NEPH-120",
        defaults={
            "sponsor": orgs[HELIX],
            "title": "HLX-515 in adults with chronic kidney disease stage 3b–4 (invented demo "
            "study)",
            "phase": "2",
            "therapeutic_area": "Nephrology",
            "status": StudyStatus.PLANNING,
            "planned_sites": 18,
            "planned_subjects": 150,
            "currency": "USD",
        },
    )
    created["studies"] += made
    from trials.models import StudyTeamMember, TeamRole

    StudyTeamMember.objects.get_or_create(
        study=nephrology, user=meridian_pm, defaults={"role": TeamRole.LEAD}
    )
    asthma = Study.objects.filter(cro=orgs[APEX], protocol_number="APX-RESP-115").first()

    def moment(days_ago: int) -> datetime:
        return timezone.make_aware(datetime.combine(today - timedelta(days=days_ago), time(15)))

    if asthma is not None:
        apex_q = _questionnaire(
            asthma,
            "Asthma site feasibility",
            "Please answer for your site as it is today.",
            apex_pm,
            APEX_ITEMS,
            created,
        )
        _answered(
            apex_q,
            orgs[LAKESIDE],
            LAKESIDE_APEX_ANSWERS,
            people["coordinator@lakeside.example"],
            apex_pm,
            today - timedelta(days=40),
            moment(45),
            created,
        )

    meridian_q = _questionnaire(
        nephrology,
        "CKD site feasibility",
        "MER-NEPH-120 needs sites with nephrology clinics and a −80 °C freezer for PK samples. "
        "Please answer by the due date; your coordinator can save a draft at any time.",
        meridian_pm,
        MERIDIAN_ITEMS,
        created,
    )
    _, made = FeasibilityRequest.objects.get_or_create(
        questionnaire=meridian_q,
        site=orgs[LAKESIDE],
        defaults={"due_date": today + timedelta(days=6), "sent_by": meridian_pm},
    )
    created["requests"] += made
    _answered(
        meridian_q,
        orgs[RIVERBEND],
        RIVERBEND_MERIDIAN_ANSWERS,
        people["coordinator@riverbend.example"],
        meridian_pm,
        today + timedelta(days=6),
        moment(2),
        created,
    )
    return created
