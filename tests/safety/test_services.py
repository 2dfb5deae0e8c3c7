import datetime as dt

import pytest
import time_machine
from django.db import DatabaseError, IntegrityError, transaction

from core.audit import audit_trail
from core.exceptions import ApplicationError, PermissionDenied, TransitionNotAllowed
from safety import services
from safety.models import AdverseEvent, AdverseEventStatus
from tests.factories.safety import SeriousAdverseEventFactory
from tests.safety.conftest import NOW, event_fields

pytestmark = pytest.mark.django_db


def report(tenant, **overrides):
    return services.adverse_event_report(
        actor=tenant.coordinator, subject=tenant.subject, **event_fields(**overrides)
    )


@time_machine.travel(NOW, tick=False)
def test_a_non_serious_event_is_recorded_without_a_clock(tenant):
    ae = report(tenant, seriousness_criteria=[], severity="mild", awareness_at=None)

    assert ae.status == AdverseEventStatus.RECORDED
    assert not ae.is_serious and ae.due_at is None
    assert ae.clock.state == "none"


@time_machine.travel(NOW, tick=False)
def test_a_serious_event_submitted_within_24_hours_is_on_time(tenant):
    ae = report(tenant, submit=True)

    assert ae.status == AdverseEventStatus.REPORTED
    assert ae.is_serious
    assert ae.due_at == NOW + dt.timedelta(hours=22)
    assert ae.reported_at == NOW and ae.reported_by == tenant.coordinator
    assert ae.is_late is False
    assert ae.clock.state == "on_time"


def test_the_clock_runs_from_awareness_even_for_a_draft_and_late_is_forever(tenant, safety_user):
    with time_machine.travel(NOW, tick=False):
        draft = report(tenant)  # aware 2 h ago, saved as a draft
        assert draft.status == AdverseEventStatus.DRAFT
        assert draft.clock.state == "running"
        assert draft.clock.label == "22 h 00 min left"
    with time_machine.travel(NOW + dt.timedelta(hours=18), tick=False):
        assert AdverseEvent.objects.get(pk=draft.pk).clock.state == "due_soon"
    with time_machine.travel(NOW + dt.timedelta(hours=23), tick=False):
        clock = AdverseEvent.objects.get(pk=draft.pk).clock
        assert clock.state == "overdue"
        assert clock.label == "Overdue by 1 h 00 min"
        submitted = services.adverse_event_submit(actor=tenant.coordinator, adverse_event=draft)
    assert submitted.is_late is True
    assert submitted.clock.state == "late"
    assert submitted.clock.label == "Reported late, 1 h 00 min after due"

    services.adverse_event_acknowledge(actor=safety_user, adverse_event=submitted)
    stored = AdverseEvent.objects.get(pk=draft.pk)
    assert stored.status == AdverseEventStatus.ACKNOWLEDGED
    assert stored.is_late is True
    assert stored.acknowledged_by == safety_user

    # No code path can clear the flag or move the report time: the database refuses.
    with pytest.raises(DatabaseError), transaction.atomic():
        AdverseEvent.objects.filter(pk=draft.pk).update(is_late=False)
    with pytest.raises(DatabaseError), transaction.atomic():
        AdverseEvent.objects.filter(pk=draft.pk).update(reported_at=NOW)
    assert AdverseEvent.objects.get(pk=draft.pk).is_late is True


def test_submitting_exactly_at_the_due_time_is_on_time(tenant):
    with time_machine.travel(NOW, tick=False):
        draft = report(tenant, awareness_at=NOW - dt.timedelta(hours=1))
    with time_machine.travel(NOW + dt.timedelta(hours=23), tick=False):
        assert (
            services.adverse_event_submit(actor=tenant.coordinator, adverse_event=draft).is_late
            is False
        )


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"onset_date": dt.date(2026, 3, 11)}, "onset_date"),  # in the future
        ({"onset_date": dt.date(2026, 1, 8)}, "onset_date"),  # before consent (2026-01-09)
        ({"awareness_at": None}, "awareness_at"),  # serious without awareness
        ({"awareness_at": NOW + dt.timedelta(minutes=5)}, "awareness_at"),  # future
        ({"awareness_at": dt.datetime(2026, 3, 8, 9, 0, tzinfo=dt.UTC)}, "awareness_at"),
        ({"term": "  "}, "term"),
        ({"severity": "extreme"}, "severity"),
        ({"seriousness_criteria": ["bored"]}, "seriousness_criteria"),
        ({"outcome": "fatal"}, "seriousness_criteria"),  # fatal without "death"
    ],
)
def test_bad_input_is_refused_and_changes_nothing(tenant, overrides, field):
    with pytest.raises(ApplicationError) as error:
        report(tenant, **overrides)
    assert field in error.value.fields
    assert AdverseEvent.objects.count() == 0


@time_machine.travel(NOW, tick=False)
def test_only_the_site_reports_and_only_cro_safety_acknowledges(tenant, safety_user):
    for outsider in (tenant.cra, tenant.pm, tenant.cro_admin, tenant.sponsor_viewer, safety_user):
        with pytest.raises(PermissionDenied):
            services.adverse_event_report(actor=outsider, subject=tenant.subject, **event_fields())
    for site_person in (tenant.investigator, tenant.site_admin):
        services.adverse_event_report(
            actor=site_person, subject=tenant.subject, **event_fields(submit=True)
        )
    ae = report(tenant, submit=True)
    for not_safety in (tenant.coordinator, tenant.pm, tenant.cra, tenant.cro_admin):
        with pytest.raises(PermissionDenied):
            services.adverse_event_acknowledge(actor=not_safety, adverse_event=ae)
    with pytest.raises(PermissionDenied):
        services.adverse_event_submit(actor=safety_user, adverse_event=ae)
    services.adverse_event_acknowledge(actor=safety_user, adverse_event=ae)
    with pytest.raises(TransitionNotAllowed):
        services.adverse_event_acknowledge(actor=safety_user, adverse_event=ae)
    with pytest.raises(TransitionNotAllowed):
        services.adverse_event_submit(actor=tenant.coordinator, adverse_event=ae)


@time_machine.travel(NOW, tick=False)
def test_another_cros_safety_user_cannot_acknowledge(tenant, other_tenant):
    from accounts.models import Role
    from tests.factories import member

    ae = report(tenant, submit=True)
    with pytest.raises(PermissionDenied):
        services.adverse_event_acknowledge(
            actor=member(other_tenant.cro, Role.SAFETY), adverse_event=ae
        )
    assert AdverseEvent.objects.get(pk=ae.pk).status == AdverseEventStatus.REPORTED


@time_machine.travel(NOW, tick=False)
def test_a_non_serious_event_cannot_be_submitted(tenant):
    ae = report(tenant, seriousness_criteria=[], awareness_at=None)
    with pytest.raises(TransitionNotAllowed):
        services.adverse_event_submit(actor=tenant.coordinator, adverse_event=ae)


def test_follow_ups_are_numbered_and_leave_the_initial_unchanged(tenant, safety_user):
    with time_machine.travel(NOW, tick=False):
        initial = report(tenant, submit=True)
        with pytest.raises(TransitionNotAllowed):  # only a submitted SAE takes follow-ups
            services.adverse_event_follow_up(
                actor=tenant.coordinator,
                adverse_event=report(tenant),
                awareness_at=NOW,
            )
    before = AdverseEvent.objects.filter(pk=initial.pk).values().get()
    with time_machine.travel(NOW + dt.timedelta(days=3), tick=False):
        first = services.adverse_event_follow_up(
            actor=tenant.coordinator,
            adverse_event=initial,
            awareness_at=NOW + dt.timedelta(days=3, hours=-1),
            outcome="recovered",
            submit=True,
        )
        second = services.adverse_event_follow_up(
            actor=tenant.coordinator,
            adverse_event=first,  # a follow-up of a follow-up still hangs off the initial
            awareness_at=NOW + dt.timedelta(days=3),
            relatedness="probable",
        )
    assert (first.initial_id, first.follow_up_number) == (initial.pk, 1)
    assert (second.initial_id, second.follow_up_number) == (initial.pk, 2)
    assert first.outcome == "recovered" and first.term == "Pneumonia"
    assert first.status == AdverseEventStatus.REPORTED and first.is_late is False
    assert second.status == AdverseEventStatus.DRAFT
    assert second.reference == f"AE-{initial.pk} FU2"
    assert AdverseEvent.objects.filter(pk=initial.pk).values().get() == before
    with pytest.raises(PermissionDenied):
        services.adverse_event_follow_up(
            actor=safety_user, adverse_event=initial, awareness_at=NOW + dt.timedelta(days=3)
        )


def test_corrections_need_a_reason_show_in_the_audit_trail_and_stop_at_submission(tenant):
    with time_machine.travel(NOW, tick=False):
        ae = report(tenant, seriousness_criteria=[], awareness_at=None, term="Hedache")
        with pytest.raises(ApplicationError) as error:
            services.adverse_event_correct(
                actor=tenant.coordinator, adverse_event=ae, reason=" ", term="Headache"
            )
        assert "reason" in error.value.fields
        services.adverse_event_correct(
            actor=tenant.coordinator, adverse_event=ae, reason="typo in term", term="Headache"
        )
        # It turns out the subject was hospitalized: the AE becomes an SAE draft, clock running.
        upgraded = services.adverse_event_correct(
            actor=tenant.coordinator,
            adverse_event=ae,
            reason="subject admitted",
            seriousness_criteria=["hospitalization"],
            awareness_at=NOW - dt.timedelta(hours=1),
        )
        assert upgraded.status == AdverseEventStatus.DRAFT
        assert upgraded.due_at == NOW + dt.timedelta(hours=23)
        services.adverse_event_submit(actor=tenant.coordinator, adverse_event=ae)
        with pytest.raises(TransitionNotAllowed):
            services.adverse_event_correct(
                actor=tenant.coordinator, adverse_event=ae, reason="x", term="Migraine"
            )
    reasons = {entry.reason for entry in audit_trail(ae)}
    assert {"typo in term", "subject admitted", "SAE report submitted to the CRO"} <= reasons
    assert AdverseEvent.objects.get(pk=ae.pk).term == "Headache"


def test_adverse_events_are_never_deleted(tenant):
    ae = SeriousAdverseEventFactory(subject=tenant.subject, recorded_by=tenant.coordinator)
    with pytest.raises(DatabaseError), transaction.atomic():
        ae.delete()
    assert AdverseEvent.objects.filter(pk=ae.pk).exists()


def test_the_database_refuses_a_serious_event_without_a_clock(tenant):
    with pytest.raises(IntegrityError), transaction.atomic():
        SeriousAdverseEventFactory(
            subject=tenant.subject, recorded_by=tenant.coordinator, awareness_at=None, due_at=None
        )
