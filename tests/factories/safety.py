"""Factories for adverse events (rows written directly; tests of rules go through services)."""

import datetime as dt

import factory
from factory.django import DjangoModelFactory

from safety.models import REPORTING_WINDOW, AdverseEvent, AdverseEventStatus
from tests.factories import SubjectFactory, UserFactory


class AdverseEventFactory(DjangoModelFactory):
    """A non-serious, recorded AE."""

    class Meta:
        model = AdverseEvent

    subject = factory.SubFactory(SubjectFactory)
    term = factory.Sequence(lambda n: f"Headache {n}")
    onset_date = dt.date(2026, 2, 1)
    severity = "mild"
    relatedness = "unlikely"
    outcome = "recovered"
    status = AdverseEventStatus.RECORDED
    recorded_by = factory.SubFactory(UserFactory)


class SeriousAdverseEventFactory(AdverseEventFactory):
    """An SAE draft whose clock started at ``awareness_at``."""

    term = factory.Sequence(lambda n: f"Pneumonia {n}")
    severity = "severe"
    seriousness_criteria = factory.LazyFunction(lambda: ["hospitalization"])
    is_serious = True
    status = AdverseEventStatus.DRAFT
    awareness_at = dt.datetime(2026, 2, 2, 9, 0, tzinfo=dt.UTC)
    due_at = factory.LazyAttribute(lambda o: o.awareness_at + REPORTING_WINDOW)
    outcome = "recovering"
