"""Earnings accrue from domain events, at most once, and reverse with linked negative lines."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db import IntegrityError, transaction

from core.events import publish
from payments import services
from payments.models import Earning, EarningKind
from tests.factories import SubjectFactory, SubjectVisitFactory
from tests.factories.payments import budget_for
from trials.models import MilestoneKind, SubjectStatus, SubjectVisit
from trials.services import milestone_record

pytestmark = pytest.mark.django_db


def _complete(visit, on=dt.date(2026, 2, 1)):
    SubjectVisit.objects.filter(pk=visit.pk).update(status="completed", actual_date=on)


def _publish(capture, event, **payload):
    with capture(execute=True):
        publish(event, **payload)


def test_completed_visit_earns_its_fee_once_however_often_the_event_arrives(
    tenant, budget, django_capture_on_commit_callbacks
):
    _complete(tenant.subject_visit)
    for _ in range(3):
        _publish(
            django_capture_on_commit_callbacks,
            "subject_visit.completed",
            subject_visit_id=tenant.subject_visit.pk,
        )
    earnings = Earning.objects.filter(subject_visit=tenant.subject_visit)
    assert earnings.count() == 1
    earning = earnings.get()
    assert earning.kind == EarningKind.VISIT
    assert earning.amount == Decimal("400.00")
    assert earning.currency == "USD"
    assert earning.budget_version == budget
    assert tenant.subject.subject_identifier in earning.description


def test_the_database_refuses_a_second_earning_for_the_same_visit(tenant, budget):
    _complete(tenant.subject_visit)
    services.earning_accrue_visit(subject_visit_id=tenant.subject_visit.pk)
    with pytest.raises(IntegrityError), transaction.atomic():
        Earning.objects.create(
            study_site=tenant.study_site,
            kind=EarningKind.VISIT,
            subject_visit=tenant.subject_visit,
            event_date=dt.date(2026, 2, 1),
            description="duplicate",
            amount=Decimal("400.00"),
            currency="USD",
        )


def test_a_visit_not_completed_earns_nothing(tenant, budget, django_capture_on_commit_callbacks):
    _publish(
        django_capture_on_commit_callbacks,
        "subject_visit.completed",
        subject_visit_id=tenant.subject_visit.pk,
    )
    assert not Earning.objects.exists()


def test_revert_adds_a_linked_negative_line_and_recompletion_earns_again(
    tenant, budget, django_capture_on_commit_callbacks
):
    visit = tenant.subject_visit
    _complete(visit)
    _publish(
        django_capture_on_commit_callbacks, "subject_visit.completed", subject_visit_id=visit.pk
    )
    SubjectVisit.objects.filter(pk=visit.pk).update(status="scheduled", actual_date=None)
    for _ in range(2):
        _publish(
            django_capture_on_commit_callbacks, "subject_visit.reverted", subject_visit_id=visit.pk
        )
    original = Earning.objects.get(kind=EarningKind.VISIT)
    reversal = Earning.objects.get(kind=EarningKind.REVERSAL)
    assert reversal.reverses == original
    assert reversal.amount == -original.amount
    assert original.reversed_at is not None
    assert sum(e.amount for e in Earning.objects.all()) == Decimal("0.00")

    _complete(visit, on=dt.date(2026, 2, 3))
    _publish(
        django_capture_on_commit_callbacks, "subject_visit.completed", subject_visit_id=visit.pk
    )
    assert Earning.objects.filter(kind=EarningKind.VISIT).count() == 2
    assert sum(e.amount for e in Earning.objects.all()) == Decimal("400.00")


def test_earnings_use_the_budget_version_in_force_on_the_event_date(
    tenant, budget, django_capture_on_commit_callbacks
):
    amendment = budget_for(
        tenant.study_site,
        created_by=tenant.finance,
        effective_date=dt.date(2026, 3, 1),
        visit_fee=Decimal("480.00"),
    )
    early = tenant.subject_visit
    _complete(early, on=dt.date(2026, 2, 20))
    late_subject = SubjectFactory(study_site=tenant.study_site)
    late = SubjectVisitFactory(subject=late_subject, definition=early.definition)
    _complete(late, on=dt.date(2026, 3, 2))
    for visit in (early, late):
        _publish(
            django_capture_on_commit_callbacks, "subject_visit.completed", subject_visit_id=visit.pk
        )
    assert Earning.objects.get(subject_visit=early).amount == Decimal("400.00")
    assert Earning.objects.get(subject_visit=early).budget_version == budget
    assert Earning.objects.get(subject_visit=late).amount == Decimal("480.00")
    assert Earning.objects.get(subject_visit=late).budget_version == amendment


def test_screen_failures_earn_up_to_the_sites_cap(tenant, django_capture_on_commit_callbacks):
    budget_for(tenant.study_site, created_by=tenant.finance, screen_failure_cap=2)
    subjects = [
        SubjectFactory(study_site=tenant.study_site, status=SubjectStatus.SCREEN_FAILED)
        for _ in range(3)
    ]
    for subject in [*subjects, subjects[0]]:
        _publish(django_capture_on_commit_callbacks, "subject.screen_failed", subject_id=subject.pk)
    earnings = Earning.objects.filter(kind=EarningKind.SCREEN_FAILURE)
    assert earnings.count() == 2
    assert {e.amount for e in earnings} == {Decimal("150.00")}


@time_machine.travel(dt.datetime(2026, 4, 1, 12, tzinfo=dt.UTC))
def test_milestone_recorded_in_trials_earns_the_milestone_fee_once(
    tenant, budget, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        milestone_record(
            actor=tenant.pm,
            study_site=tenant.study_site,
            kind=MilestoneKind.SIV,
            actual_date=dt.date(2026, 3, 10),
        )
    with django_capture_on_commit_callbacks(execute=True):
        milestone_record(
            actor=tenant.pm,
            study_site=tenant.study_site,
            kind=MilestoneKind.SIV,
            actual_date=dt.date(2026, 3, 10),
        )
    earning = Earning.objects.get(kind=EarningKind.MILESTONE)
    assert earning.amount == Decimal("2500.00")
    assert earning.event_date == dt.date(2026, 3, 10)
    milestone_id = earning.milestone_id
    _publish(django_capture_on_commit_callbacks, "milestone.reached", milestone_id=milestone_id)
    assert Earning.objects.filter(kind=EarningKind.MILESTONE).count() == 1


def test_no_budget_means_no_earning(tenant, django_capture_on_commit_callbacks):
    _complete(tenant.subject_visit)
    _publish(
        django_capture_on_commit_callbacks,
        "subject_visit.completed",
        subject_visit_id=tenant.subject_visit.pk,
    )
    assert not Earning.objects.exists()
