import datetime as dt

import pytest

from core.exceptions import ApplicationError, PermissionDenied, TransitionNotAllowed
from tests.factories.trials import CONSENT, SCREENING, enrolling_study_site
from trials import services
from trials.models import (
    Milestone,
    MilestoneKind,
    Subject,
    SubjectStatus,
    SubjectVisitStatus,
)


def register(tenant, actor=None, **overrides):
    data = {
        "screening_date": SCREENING,
        "consent_date": CONSENT,
        "consent_version": "v3.0",
    } | overrides
    return services.subject_register(
        actor=actor or tenant.coordinator, study_site=tenant.study_site, **data
    )


def enroll(tenant, subject, on=dt.date(2026, 3, 10)):
    return services.subject_transition(
        actor=tenant.coordinator, subject=subject, to_status="enrolled", enrollment_date=on
    )


@pytest.mark.django_db
def test_register_assigns_the_next_id_of_the_study_pattern(tenant, frozen_today):
    enrolling_study_site(tenant)
    tenant.study.subject_id_pattern = "AL-{site}-{seq:03d}"
    tenant.study.save()
    first = register(tenant)
    second = register(tenant, actor=tenant.investigator)
    assert first.subject_identifier == "AL-101-002"  # the fixture's subject is the first
    assert second.subject_identifier == "AL-101-003"
    assert first.status == SubjectStatus.SCREENING


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"screening_date": dt.date(2026, 4, 2)}, "screening_date"),
        ({"consent_date": dt.date(2026, 3, 5)}, "consent_date"),
        ({"consent_date": None}, "consent_date"),
        ({"consent_version": "John Smith"}, "consent_version"),
        ({"consent_version": "DOB 1970-01-02"}, "consent_version"),
        ({"race": "martian"}, "race"),
    ],
)
def test_register_refuses_bad_input_and_changes_nothing(tenant, frozen_today, overrides, field):
    enrolling_study_site(tenant)
    before = Subject.objects.count()
    with pytest.raises(ApplicationError) as error:
        register(tenant, **overrides)
    assert field in error.value.fields
    assert Subject.objects.count() == before


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["cra", "pm", "cro_admin", "sponsor_viewer"])
def test_only_site_staff_register(tenant, frozen_today, role):
    enrolling_study_site(tenant)
    with pytest.raises(PermissionDenied):
        register(tenant, actor=getattr(tenant, role))


@pytest.mark.django_db
def test_a_site_not_yet_activated_cannot_screen(tenant, frozen_today):
    with pytest.raises(ApplicationError, match="activated"):
        register(tenant)


@pytest.mark.django_db
def test_enrolling_schedules_visits_and_records_fpi_once(
    tenant, frozen_today, events, django_capture_on_commit_callbacks
):
    enrolling_study_site(tenant)
    with django_capture_on_commit_callbacks(execute=True):
        first = enroll(tenant, register(tenant))
    visits = {v.definition.code: v for v in first.visits.select_related("definition")}
    assert set(visits) == {"SCR", "D1", "W2"}
    week2 = visits["W2"]
    assert week2.target_date == dt.date(2026, 3, 24)
    assert (week2.window_start, week2.window_end) == (dt.date(2026, 3, 22), dt.date(2026, 3, 26))
    fpi = Milestone.objects.get(study_site=tenant.study_site, kind=MilestoneKind.FPI)
    assert fpi.actual_date == dt.date(2026, 3, 10)
    assert ("milestone.reached", {"milestone_id": fpi.pk}) in events

    with django_capture_on_commit_callbacks(execute=True):
        enroll(tenant, register(tenant), on=dt.date(2026, 3, 20))
    fpi.refresh_from_db()
    assert fpi.actual_date == dt.date(2026, 3, 10)
    assert [e for e in events if e[0] == "milestone.reached"] == [
        ("milestone.reached", {"milestone_id": fpi.pk})
    ]


@pytest.mark.django_db
def test_transitions_follow_the_table_and_need_reasons(
    tenant, frozen_today, events, django_capture_on_commit_callbacks
):
    enrolling_study_site(tenant)
    subject = register(tenant)
    with pytest.raises(ApplicationError) as error:
        services.subject_transition(
            actor=tenant.coordinator, subject=subject, to_status="screen_failed"
        )
    assert "reason" in error.value.fields
    with pytest.raises(TransitionNotAllowed):
        services.subject_transition(
            actor=tenant.coordinator, subject=subject, to_status="withdrawn", reason="x"
        )
    with pytest.raises(PermissionDenied):
        services.subject_transition(actor=tenant.cra, subject=subject, to_status="enrolled")
    with django_capture_on_commit_callbacks(execute=True):
        services.subject_transition(
            actor=tenant.coordinator,
            subject=subject,
            to_status="screen_failed",
            reason="Did not meet inclusion criterion 3",
        )
    subject.refresh_from_db()
    assert subject.status == SubjectStatus.SCREEN_FAILED
    assert subject.status_reason == "Did not meet inclusion criterion 3"
    assert ("subject.screen_failed", {"subject_id": subject.pk}) in events
    with pytest.raises(TransitionNotAllowed):
        enroll(tenant, subject)


@pytest.mark.django_db
def test_a_reason_that_names_someone_is_refused(tenant, frozen_today):
    enrolling_study_site(tenant)
    subject = enroll(tenant, register(tenant))
    with pytest.raises(ApplicationError) as error:
        services.subject_transition(
            actor=tenant.coordinator,
            subject=subject,
            to_status="withdrawn",
            reason="Mrs. Jones moved away",
        )
    assert "reason" in error.value.fields
    subject.refresh_from_db()
    assert subject.status == SubjectStatus.ENROLLED


@pytest.mark.django_db
def test_completing_a_subject_needs_every_visit_recorded(tenant, frozen_today):
    enrolling_study_site(tenant)
    subject = enroll(tenant, register(tenant))
    with pytest.raises(ApplicationError, match="remaining visit"):
        services.subject_transition(
            actor=tenant.coordinator, subject=subject, to_status="completed"
        )
    for visit in subject.visits.all():
        services.subject_visit_miss(actor=tenant.coordinator, subject_visit=visit)
    services.subject_transition(actor=tenant.coordinator, subject=subject, to_status="completed")
    subject.refresh_from_db()
    assert subject.status == SubjectStatus.COMPLETED


@pytest.mark.django_db
def test_visit_completion_flags_the_window_and_publishes(
    tenant, frozen_today, events, django_capture_on_commit_callbacks
):
    enrolling_study_site(tenant)
    subject = enroll(tenant, register(tenant))
    week2 = subject.visits.get(definition__code="W2")
    day1 = subject.visits.get(definition__code="D1")
    with django_capture_on_commit_callbacks(execute=True):
        services.subject_visit_complete(
            actor=tenant.coordinator,
            subject_visit=week2,
            actual_date=dt.date(2026, 3, 28),
            deviation_note="Subject travelling; visit two days late",
        )
        services.subject_visit_complete(
            actor=tenant.investigator, subject_visit=day1, actual_date=dt.date(2026, 3, 10)
        )
    week2.refresh_from_db()
    day1.refresh_from_db()
    assert week2.out_of_window is True and week2.deviation_note.startswith("Subject travelling")
    assert day1.out_of_window is False
    assert ("subject_visit.completed", {"subject_visit_id": week2.pk}) in events
    assert ("subject_visit.completed", {"subject_visit_id": day1.pk}) in events
    with pytest.raises(TransitionNotAllowed):
        services.subject_visit_complete(
            actor=tenant.coordinator, subject_visit=day1, actual_date=dt.date(2026, 3, 10)
        )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "actual", [dt.date(2026, 4, 2), dt.date(2026, 2, 27)], ids=["future", "before-consent"]
)
def test_visit_dates_in_the_future_or_before_consent_are_refused(tenant, frozen_today, actual):
    enrolling_study_site(tenant)
    subject = enroll(tenant, register(tenant))
    visit = subject.visits.get(definition__code="D1")
    with pytest.raises(ApplicationError) as error:
        services.subject_visit_complete(
            actor=tenant.coordinator, subject_visit=visit, actual_date=actual
        )
    assert "actual_date" in error.value.fields
    visit.refresh_from_db()
    assert visit.status == SubjectVisitStatus.SCHEDULED


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["cra", "pm", "sponsor_viewer"])
def test_only_the_site_records_visits(tenant, frozen_today, role):
    enrolling_study_site(tenant)
    subject = enroll(tenant, register(tenant))
    visit = subject.visits.get(definition__code="D1")
    with pytest.raises(PermissionDenied):
        services.subject_visit_complete(
            actor=getattr(tenant, role), subject_visit=visit, actual_date=dt.date(2026, 3, 10)
        )


@pytest.mark.django_db
def test_correcting_a_completed_visit_needs_a_reason_and_reverts(
    tenant, frozen_today, events, django_capture_on_commit_callbacks
):
    from core.audit import audit_trail

    enrolling_study_site(tenant)
    subject = enroll(tenant, register(tenant))
    visit = subject.visits.get(definition__code="D1")
    services.subject_visit_complete(
        actor=tenant.coordinator, subject_visit=visit, actual_date=dt.date(2026, 3, 10)
    )
    with pytest.raises(ApplicationError) as error:
        services.subject_visit_correct(
            actor=tenant.coordinator, subject_visit=visit, reason=" ", status="scheduled"
        )
    assert "reason" in error.value.fields
    with django_capture_on_commit_callbacks(execute=True):
        services.subject_visit_correct(
            actor=tenant.coordinator,
            subject_visit=visit,
            reason="Entered on the wrong subject",
            status="scheduled",
        )
    visit.refresh_from_db()
    assert visit.status == SubjectVisitStatus.SCHEDULED and visit.actual_date is None
    assert ("subject_visit.reverted", {"subject_visit_id": visit.pk}) in events
    reasons = [e.reason for e in audit_trail(visit)]
    assert "Entered on the wrong subject" in reasons


@pytest.mark.django_db
def test_subject_correction_needs_a_reason_and_keeps_consent_before_screening(tenant, frozen_today):
    enrolling_study_site(tenant)
    subject = register(tenant)
    with pytest.raises(ApplicationError) as error:
        services.subject_correct(
            actor=tenant.coordinator,
            subject=subject,
            reason="typo",
            consent_date=dt.date(2026, 3, 3),
        )
    assert "consent_date" in error.value.fields
    services.subject_correct(
        actor=tenant.coordinator, subject=subject, reason="typo in version", consent_version="v3.1"
    )
    subject.refresh_from_db()
    assert subject.consent_version == "v3.1"
