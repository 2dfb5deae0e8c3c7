"""A Hypothesis state machine of the visit/report lifecycle: random people try random actions;
each either does exactly what the model of the workflow says, or is refused and changes
nothing."""

import datetime as dt

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from core.exceptions import ApplicationError, PermissionDenied, TransitionNotAllowed
from core.models import Signature
from monitoring import services
from monitoring.models import MonitoringVisit, VisitReport
from tests.factories import PASSWORD
from tests.factories.monitoring import FILLED_SECTIONS, plan

PEOPLE = ["cra", "pm", "coordinator", "sponsor_viewer", "finance"]
# who may do what (the model), and the expected next status
MODEL = {
    "confirm": ({"coordinator"}, {"planned": "confirmed"}),
    "propose": ({"coordinator"}, {"planned": "proposed"}),
    "accept": ({"cra", "pm"}, {"proposed": "confirmed"}),
    "cancel": ({"cra", "pm"}, {s: "cancelled" for s in ("planned", "proposed", "confirmed")}),
    "complete": ({"cra", "pm"}, {"confirmed": "completed"}),
    "write": (
        {"cra", "pm"},
        {"completed": "report_drafted", "report_drafted": "report_drafted", "returned": "returned"},
    ),
    # the PM leads the study, so may author a report too; reviewers never review their own
    "submit": ({"cra", "pm"}, {"report_drafted": "submitted", "returned": "submitted"}),
    "approve": ({"pm"}, {"submitted": "approved"}),
    "return": ({"pm"}, {"submitted": "returned"}),
    "correct": ({"cra", "pm"}, {"approved": "report_drafted"}),
}


def make_machine(tenant):
    class VisitLifecycle(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.visit = plan(tenant)
            self.status = "planned"
            self.signatures = 0
            self.submitter = None

        def _call(self, action: str, user):
            visit = self.visit
            now = timezone.now()
            if action == "confirm":
                services.visit_confirm(actor=user, visit=visit)
            elif action == "propose":
                services.visit_propose_date(
                    actor=user, visit=visit, proposed_at=now + dt.timedelta(days=20)
                )
            elif action == "accept":
                services.visit_accept_proposal(actor=user, visit=visit)
            elif action == "cancel":
                services.visit_cancel(actor=user, visit=visit, reason="machine")
            elif action == "complete":
                services.visit_complete(actor=user, visit=visit, actual_date=timezone.localdate())
            elif action == "write":
                for key, values in FILLED_SECTIONS.items():
                    services.visit_report_section_save(
                        actor=user, visit=visit, section=key, data=values
                    )
            elif action == "submit":
                services.visit_report_submit(actor=user, visit=visit, password=PASSWORD)
            elif action == "approve":
                services.visit_report_approve(actor=user, visit=visit, password=PASSWORD)
            elif action == "return":
                services.visit_report_return(actor=user, visit=visit, comments="machine")
            elif action == "correct":
                services.visit_report_correct(actor=user, visit=visit, reason="machine")

        @rule(action=st.sampled_from(sorted(MODEL)), who=st.sampled_from(PEOPLE))
        def act(self, action, who):
            self._attempt(action, who)

        @rule(data=st.data())
        def act_in_status(self, data):
            """An action that fits the current status, by someone the model allows, so runs
            reach the late states (approval, correction)."""
            fitting = sorted(a for a, (_, moves) in MODEL.items() if self.status in moves)
            if fitting:
                action = data.draw(st.sampled_from(fitting))
                self._attempt(action, data.draw(st.sampled_from(sorted(MODEL[action][0]))))

        def _attempt(self, action, who):
            roles, moves = MODEL[action]
            user = getattr(tenant, who)
            user._organization_roles = None
            before = self.status
            allowed = who in roles and before in moves
            if action in ("approve", "return") and who == self.submitter:
                allowed = False
            try:
                self._call(action, user)
            except (PermissionDenied, TransitionNotAllowed, ApplicationError) as error:
                assert not allowed, (action, who, before, error.message)
            else:
                assert allowed, (action, who, before)
                self.status = moves[before]
                if action == "submit":
                    self.submitter = who
                if action in ("submit", "approve"):
                    self.signatures += 1

        @invariant()
        def database_matches_the_model(self):
            visit = MonitoringVisit.objects.get(pk=self.visit.pk)
            assert visit.status == self.status
            reports = VisitReport.objects.filter(visit=visit)
            assert (
                Signature.objects.filter(object_id__in=reports.values("pk")).count()
                == self.signatures
            )
            if self.status == "approved":
                assert reports.order_by("-version").first().status == "approved"

    return VisitLifecycle


@pytest.mark.django_db
def test_visit_report_lifecycle_state_machine(tenant):
    # "write" fills every required section, so submit from a drafted report is allowed.
    run_state_machine_as_test(
        make_machine(tenant),
        settings=settings(
            max_examples=40,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
