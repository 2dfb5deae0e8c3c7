import datetime as dt

import pytest
import time_machine
from django.core import mail

from core.models import Notification
from safety import services, tasks
from tests.safety.conftest import NOW, event_fields

pytestmark = pytest.mark.django_db


def kinds_for(user) -> list[str]:
    return sorted(Notification.objects.filter(recipient=user).values_list("kind", flat=True))


def test_a_draft_near_and_past_its_due_time_warns_the_site_and_cro_safety_once(tenant, safety_user):
    with time_machine.travel(NOW, tick=False):
        draft = services.adverse_event_report(
            actor=tenant.coordinator, subject=tenant.subject, **event_fields()
        )  # due at NOW + 22 h
        assert tasks.sae_escalations() == 0  # plenty of time left
    with time_machine.travel(NOW + dt.timedelta(hours=17), tick=False):
        first = tasks.sae_escalations()
        assert tasks.sae_escalations() == 0  # a second beat sends nothing
    # coordinator, investigator and site admin of the site, and the CRO's safety officer
    assert first == 4
    for person in (tenant.coordinator, tenant.investigator, tenant.site_admin, safety_user):
        assert kinds_for(person) == ["sae_due_soon"]
    assert kinds_for(tenant.cra) == [] and kinds_for(tenant.pm) == []
    with time_machine.travel(NOW + dt.timedelta(hours=23), tick=False):
        assert tasks.sae_escalations() == 4
        assert tasks.sae_escalations() == 0
    assert kinds_for(tenant.coordinator) == ["sae_due_soon", "sae_overdue"]
    notice = Notification.objects.get(recipient=tenant.coordinator, kind="sae_overdue")
    assert "not submitted within 24 h" in notice.title
    assert notice.url == draft.get_absolute_url()
    with time_machine.travel(NOW + dt.timedelta(hours=24), tick=False):
        services.adverse_event_submit(actor=tenant.coordinator, adverse_event=draft)
        assert tasks.sae_escalations() == 0  # submitted: no more site warnings


def test_an_unacknowledged_report_reminds_safety_then_the_study_lead_once(
    tenant, safety_user, django_capture_on_commit_callbacks
):
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        ae = services.adverse_event_report(
            actor=tenant.coordinator, subject=tenant.subject, **event_fields(submit=True)
        )
    assert kinds_for(safety_user) == ["sae_submitted"]  # told at once, by email too
    assert any("to acknowledge" in m.subject for m in mail.outbox)
    with time_machine.travel(NOW + dt.timedelta(hours=11), tick=False):
        assert tasks.sae_escalations() == 0
    with time_machine.travel(NOW + dt.timedelta(hours=13), tick=False):
        assert tasks.sae_escalations() == 1
        assert tasks.sae_escalations() == 0
    assert kinds_for(safety_user) == ["sae_submitted", "sae_unacknowledged"]
    assert kinds_for(tenant.pm) == []
    with time_machine.travel(NOW + dt.timedelta(hours=25), tick=False):
        assert tasks.sae_escalations() == 1  # the study lead (pm)
        assert tasks.sae_escalations() == 0
    assert kinds_for(tenant.pm) == ["sae_unacknowledged_lead"]
    services.adverse_event_acknowledge(actor=safety_user, adverse_event=ae)
    with time_machine.travel(NOW + dt.timedelta(hours=40), tick=False):
        assert tasks.sae_escalations() == 0


def test_a_late_report_tells_cro_safety_and_the_study_lead(
    tenant, safety_user, django_capture_on_commit_callbacks
):
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        ae = services.adverse_event_report(
            actor=tenant.coordinator,
            subject=tenant.subject,
            **event_fields(awareness_at=NOW - dt.timedelta(hours=30), submit=True),
        )
    assert ae.is_late
    assert kinds_for(safety_user) == ["sae_late", "sae_submitted"]
    assert kinds_for(tenant.pm) == ["sae_late"]
    # Running the notice again (a retried task) sends nothing twice.
    assert tasks.adverse_event_submitted(ae.pk) == 0
