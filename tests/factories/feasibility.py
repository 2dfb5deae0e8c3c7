"""Factories for feasibility: questions, questionnaires, items, requests and answers."""

import datetime as dt
import importlib

import factory
from factory.django import DjangoModelFactory

from feasibility.models import (
    Answer,
    FeasibilityRequest,
    Question,
    QuestionKind,
    Questionnaire,
    QuestionnaireItem,
)
from tests.factories import CROFactory, SiteOrganizationFactory, StudyFactory, UserFactory


def ensure_standard_questions() -> None:
    """The data migration's standard questions (a transactional test elsewhere may have
    flushed them)."""
    migration = importlib.import_module("feasibility.migrations.0002_standard_questions")
    for key, text, kind, options, profile_field, reuse, help_text in migration.STANDARD_QUESTIONS:
        Question.objects.get_or_create(
            owner=None,
            key=key,
            defaults={
                "text": text,
                "kind": kind,
                "options": options,
                "profile_field": profile_field,
                "reuse_answers": reuse,
                "help_text": help_text,
            },
        )


def standard_question(key: str) -> Question:
    """A platform-standard question (as seeded by the data migration)."""
    ensure_standard_questions()
    return Question.objects.get(owner__isnull=True, key=key)


class QuestionFactory(DjangoModelFactory):
    class Meta:
        model = Question

    owner = factory.SubFactory(CROFactory)
    text = factory.Sequence(lambda n: f"Custom question number {n}?")
    key = factory.Sequence(lambda n: f"custom-question-number-{n}")
    kind = QuestionKind.YES_NO


class QuestionnaireFactory(DjangoModelFactory):
    class Meta:
        model = Questionnaire

    study = factory.SubFactory(StudyFactory)
    title = factory.Sequence(lambda n: f"Feasibility round {n}")
    created_by = factory.SubFactory(UserFactory)


class QuestionnaireItemFactory(DjangoModelFactory):
    class Meta:
        model = QuestionnaireItem

    questionnaire = factory.SubFactory(QuestionnaireFactory)
    question = factory.SubFactory(QuestionFactory)
    order = factory.Sequence(lambda n: n + 1)
    weight = 10
    rule = factory.LazyAttribute(
        lambda o: {"expect": "yes"} if o.question.kind == QuestionKind.YES_NO else {}
    )


class FeasibilityRequestFactory(DjangoModelFactory):
    class Meta:
        model = FeasibilityRequest

    questionnaire = factory.SubFactory(QuestionnaireFactory)
    site = factory.SubFactory(SiteOrganizationFactory)
    due_date = factory.LazyFunction(lambda: dt.date.today() + dt.timedelta(days=14))
    sent_by = factory.SelfAttribute("questionnaire.created_by")


class AnswerFactory(DjangoModelFactory):
    class Meta:
        model = Answer

    request = factory.SubFactory(FeasibilityRequestFactory)
    item = factory.SubFactory(
        QuestionnaireItemFactory, questionnaire=factory.SelfAttribute("..request.questionnaire")
    )
    key = factory.SelfAttribute("item.question.key")
    kind = factory.SelfAttribute("item.question.kind")
    value = "yes"
    updated_by = factory.SelfAttribute("request.sent_by")
