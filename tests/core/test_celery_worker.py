"""One test with a real Celery worker over the real Redis broker."""

import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail

from config.celery import app
from core.models import Notification
from core.notifications import notify
from tests.factories import UserFactory


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_sends_the_email_once():
    app.conf.task_always_eager = False
    person = UserFactory(email="pi@site.test")
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        notify(recipient=person, kind="k", title="Visit confirmed", dedupe_key="worker:1")
        notify(recipient=person, kind="k", title="Visit confirmed", dedupe_key="worker:1")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if Notification.objects.filter(dedupe_key="worker:1", sent_at__isnull=False).exists():
                break
            time.sleep(0.1)
    assert Notification.objects.get(dedupe_key="worker:1").sent_at is not None
    assert [m.subject for m in mail.outbox] == ["[TrialBridge] Visit confirmed"]
