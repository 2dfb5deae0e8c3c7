"""The subject lifecycle (SUBJECT_TRANSITIONS, by role) as a Hypothesis state machine, and what
withdrawal does to the visits ahead of the subject."""

import datetime as dt

import pytest
import time_machine
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from core.exceptions import ApplicationError
from tests.factories import SubjectFactory
from tests.factories.trials import enrolling_study_site
from trials import services
from trials.models import (
    SUBJECT_TRANSITIONS,
    Subject,
    SubjectStatus,
    SubjectVisit,
    SubjectVisitStatus,
)

PEOPLE = ["coordinator", "investigator", "site_admin", "pm", "cra", "sponsor_viewer"]
SITE_PEOPLE = {"coordinator", "investigator", "site_admin"}
TARGETS = sorted(SubjectStatus.values)
TODAY = dt.date(2026, 4, 1)


def make_machine(tenant, study_site):
    counter = iter(range(10_000))

    class SubjectLifecycle(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.subject = SubjectFactory(
                study_site=study_site,
                subject_identifier=f"M-{next(counter):04d}",
                screening_date=TODAY - dt.timedelta(days=5),
                consent_date=TODAY - dt.timedelta(days=6),
            )
            self.status = SubjectStatus.SCREENING

        @rule(to_status=st.sampled_from(TARGETS), who=st.sampled_from(PEOPLE))
        def transition(self, to_status, who):
            self._attempt(to_status, who)

        @rule(data=st.data())
        def transition_that_fits(self, data):
            """A move the model allows, by a site person, so runs reach the late states."""
            fitting = sorted(SUBJECT_TRANSITIONS[self.status])
            if fitting:
                self._attempt(
                    data.draw(st.sampled_from(fitting)),
                    data.draw(st.sampled_from(sorted(SITE_PEOPLE))),
                )

        @rule()
        def coordinator_records_every_scheduled_visit(self):
            for visit in SubjectVisit.objects.filter(
                subject=self.subject, status=SubjectVisitStatus.SCHEDULED
            ):
                services.subject_visit_complete(
                    actor=tenant.coordinator, subject_visit=visit, actual_date=TODAY
                )

        def _attempt(self, to_status, who):
            before = self.status
            open_visits = SubjectVisit.objects.filter(
                subject=self.subject, status=SubjectVisitStatus.SCHEDULED
            ).exists()
            allowed = (
                who in SITE_PEOPLE
                and to_status in SUBJECT_TRANSITIONS[before]
                and not (to_status == SubjectStatus.COMPLETED and open_visits)
            )
            try:
                services.subject_transition(
                    actor=getattr(tenant, who),
                    subject=self.subject,
                    to_status=to_status,
                    reason="moved to another city",
                )
            except ApplicationError as error:  # PermissionDenied and TransitionNotAllowed too
                assert not allowed, (before, to_status, who, error.message)
            else:
                assert allowed, (before, to_status, who)
                self.status = to_status

        @invariant()
        def database_matches_the_model(self):
            subject = Subject.objects.get(pk=self.subject.pk)
            assert subject.status == self.status
            visits = SubjectVisit.objects.filter(subject=subject)
            if self.status in (SubjectStatus.SCREENING, SubjectStatus.SCREEN_FAILED):
                assert not visits.exists()
            else:
                assert visits.count() == 3  # the study's schedule, once
            if self.status in (SubjectStatus.WITHDRAWN, SubjectStatus.SCREEN_FAILED):
                assert not visits.filter(
                    status=SubjectVisitStatus.SCHEDULED, window_end__gte=TODAY
                ).exists()
            if self.status == SubjectStatus.COMPLETED:
                assert not visits.filter(status=SubjectVisitStatus.SCHEDULED).exists()

    return SubjectLifecycle


@pytest.mark.django_db
def test_subject_lifecycle_state_machine(tenant, frozen_today):
    study_site = enrolling_study_site(tenant)
    run_state_machine_as_test(
        make_machine(tenant, study_site),
        settings=settings(
            max_examples=30,
            stateful_step_count=8,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )


@pytest.mark.django_db
def test_withdrawal_marks_the_visits_ahead_not_applicable(tenant):
    study_site = enrolling_study_site(tenant)
    subject = SubjectFactory(
        study_site=study_site, screening_date=dt.date(2026, 3, 1), consent_date=dt.date(2026, 3, 1)
    )
    with time_machine.travel(dt.datetime(2026, 3, 2, 12, tzinfo=dt.UTC), tick=False):
        services.subject_transition(
            actor=tenant.coordinator,
            subject=subject,
            to_status=SubjectStatus.ENROLLED,
            enrollment_date=dt.date(2026, 3, 2),
        )
    # two weeks later: SCR and D1 (window closed 2026-03-02) were never recorded; W2 is ahead
    with time_machine.travel(dt.datetime(2026, 3, 15, 12, tzinfo=dt.UTC), tick=False):
        services.subject_transition(
            actor=tenant.coordinator,
            subject=subject,
            to_status=SubjectStatus.WITHDRAWN,
            reason="withdrew consent",
        )
        status = dict(subject.visits.values_list("definition__code", "status"))
        assert status == {"SCR": "scheduled", "D1": "scheduled", "W2": "cancelled"}
        # overdue visits still wait for the site to say what happened
        due = services.SubjectVisit.objects.filter(subject=subject, status="scheduled")
        assert due.count() == 2
        w2 = subject.visits.get(definition__code="W2")
        with pytest.raises(ApplicationError):  # not recordable as if it were still scheduled
            services.subject_visit_complete(
                actor=tenant.coordinator, subject_visit=w2, actual_date=dt.date(2026, 3, 14)
            )
        services.subject_visit_correct(
            actor=tenant.coordinator,
            subject_visit=w2,
            status=SubjectVisitStatus.COMPLETED,
            actual_date=dt.date(2026, 3, 14),
            reason="visit took place the day before the withdrawal",
        )
        w2.refresh_from_db()
        assert w2.status == SubjectVisitStatus.COMPLETED and w2.actual_date == dt.date(2026, 3, 14)


@pytest.mark.django_db
def test_cancelled_visits_carry_no_date_in_the_database(tenant):
    from django.db import IntegrityError, transaction

    visit = tenant.subject_visit
    with pytest.raises(IntegrityError), transaction.atomic():
        SubjectVisit.objects.filter(pk=visit.pk).update(
            status=SubjectVisitStatus.CANCELLED, actual_date=dt.date(2026, 2, 1)
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        SubjectVisit.objects.filter(pk=visit.pk).update(status="postponed")
