import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from core.models import Notification
from monitoring import services, tasks
from monitoring.models import FollowUpLetter, MonitoringVisit, VisitStatus
from tests.factories.monitoring import plan, visit_at

pytestmark = pytest.mark.django_db


def kinds(user) -> list[str]:
    return sorted(Notification.objects.filter(recipient=user).values_list("kind", flat=True))


def test_upcoming_visit_reminders_7_and_1_day_before_once(tenant):
    visit = plan(tenant, days=7)
    today = timezone.localdate()
    Notification.objects.all().delete()
    MonitoringVisit.objects.filter(pk=visit.pk).update(
        planned_at=timezone.now().replace(hour=10) + dt.timedelta(days=7)
    )
    first = services.reminders_send(today=today)
    second = services.reminders_send(today=today)
    assert first["monitoring.visit_upcoming_7d"] == 2  # the CRA and the coordinator
    assert second.get("monitoring.visit_upcoming_7d", 0) == 0
    assert kinds(tenant.cra) == ["monitoring.visit_upcoming_7d"]
    assert kinds(tenant.coordinator) == ["monitoring.visit_upcoming_7d"]
    services.reminders_send(today=today + dt.timedelta(days=6))
    assert kinds(tenant.cra) == ["monitoring.visit_upcoming_1d", "monitoring.visit_upcoming_7d"]


def test_retried_task_sends_once(tenant, django_capture_on_commit_callbacks):
    from django.core import mail

    visit = visit_at(tenant, VisitStatus.COMPLETED)
    MonitoringVisit.objects.filter(pk=visit.pk).update(
        report_due_date=timezone.localdate() - dt.timedelta(days=1)
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        tasks.monitoring_reminders_send.delay()
        tasks.monitoring_reminders_send.apply()  # a retry of the same run
    overdue = [m for m in mail.outbox if "Report overdue" in m.subject]
    assert len(overdue) == 1
    assert overdue[0].to == [tenant.cra.email]


def test_overdue_report_escalates_to_the_lead_after_five_more_days(tenant):
    visit = visit_at(tenant, VisitStatus.REPORT_DRAFTED)
    due = visit.report_due_date
    Notification.objects.all().delete()
    services.reminders_send(today=due + dt.timedelta(days=5))
    assert kinds(tenant.cra) == ["monitoring.report_overdue"]
    assert kinds(tenant.pm) == []
    services.reminders_send(today=due + dt.timedelta(days=6))
    assert kinds(tenant.cra) == ["monitoring.report_overdue", "monitoring.report_overdue"]
    assert kinds(tenant.pm) == ["monitoring.report_overdue_escalated"]
    services.reminders_send(today=due + dt.timedelta(days=6))
    assert len(kinds(tenant.pm)) == 1


def test_submitted_reports_are_not_overdue(tenant):
    visit = visit_at(tenant, VisitStatus.SUBMITTED)
    Notification.objects.all().delete()
    services.reminders_send(today=visit.report_due_date + dt.timedelta(days=20))
    assert "monitoring.report_overdue" not in kinds(tenant.cra)


def test_action_item_due_soon_and_overdue_to_the_owner(tenant):
    today = timezone.localdate()
    item = services.action_item_raise(
        actor=tenant.cra,
        study_site=tenant.study_site,
        description="Re-consent subject 001",
        category="consent",
        owner="site",
        due_date=today + dt.timedelta(days=3),
    )
    Notification.objects.all().delete()
    services.reminders_send(today=today)
    services.reminders_send(today=today)
    assert kinds(tenant.coordinator) == ["monitoring.action_item_due_soon"]
    services.reminders_send(today=today + dt.timedelta(days=4))
    assert kinds(tenant.coordinator) == [
        "monitoring.action_item_due_soon",
        "monitoring.action_item_overdue",
    ]
    services.action_item_resolve(actor=tenant.coordinator, action_item=item, note="Done")
    services.reminders_send(today=today + dt.timedelta(days=5))
    assert len(kinds(tenant.coordinator)) == 2


def test_unacknowledged_letter_reminder_after_seven_days(tenant):
    with time_machine.travel(timezone.now() - dt.timedelta(days=8), tick=False):
        visit = visit_at(tenant, VisitStatus.APPROVED)
    today = timezone.localdate()
    Notification.objects.all().delete()
    services.reminders_send(today=today - dt.timedelta(days=2))
    assert "monitoring.follow_up_letter_unacknowledged" not in kinds(tenant.coordinator)
    services.reminders_send(today=today)
    services.reminders_send(today=today)
    assert kinds(tenant.coordinator).count("monitoring.follow_up_letter_unacknowledged") == 1
    letter = FollowUpLetter.objects.get(visit=visit)
    services.follow_up_letter_acknowledge(actor=tenant.coordinator, letter=letter)
    Notification.objects.all().delete()
    services.reminders_send(today=today + dt.timedelta(days=1))
    assert kinds(tenant.coordinator) == []


def test_beat_entry_is_registered():
    from celery import current_app

    entry = current_app.conf.beat_schedule["monitoring-reminders"]
    assert entry["task"] == "monitoring.tasks.monitoring_reminders_send"
