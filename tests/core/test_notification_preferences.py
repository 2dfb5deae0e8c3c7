import datetime as dt

import pytest
import time_machine
from django.core import mail

from core.models import Delivery, Notification, NotificationDigest
from core.notifications import notification_preference_set, notify
from core.tasks import notification_digest_sweep
from tests.factories import UserFactory


@pytest.mark.django_db
def test_in_app_only_sends_no_email(django_capture_on_commit_callbacks):
    person = UserFactory()
    notification_preference_set(actor=person, kind="query.aging", delivery=Delivery.IN_APP)
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipient=person, kind="query.aging", title="Query waiting", dedupe_key="q1")
        notify(recipient=person, kind="visit.reminder", title="Visit soon", dedupe_key="v1")
    assert [m.subject for m in mail.outbox] == ["[TrialBridge] Visit soon"]
    assert Notification.objects.get(dedupe_key="q1").sent_at is None


@pytest.mark.django_db
def test_every_other_kind_preference_is_the_fallback(django_capture_on_commit_callbacks):
    person = UserFactory()
    notification_preference_set(actor=person, kind="*", delivery=Delivery.IN_APP)
    notification_preference_set(actor=person, kind="sae.clock", delivery=Delivery.EMAIL)
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipient=person, kind="visit.reminder", title="Quiet", dedupe_key="a")
        notify(recipient=person, kind="sae.clock", title="SAE due in 2 hours", dedupe_key="b")
    assert [m.subject for m in mail.outbox] == ["[TrialBridge] SAE due in 2 hours"]


@pytest.mark.django_db
def test_daily_digest_is_one_email_per_person_per_day_whatever_retries_happen(
    django_capture_on_commit_callbacks,
):
    person, other = UserFactory(email="digest@site.test"), UserFactory()
    notification_preference_set(actor=person, kind="*", delivery=Delivery.DIGEST)
    with (
        time_machine.travel(dt.datetime(2026, 5, 4, 15, 0, tzinfo=dt.UTC)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        notify(recipient=person, kind="k", title="First update", url="/a/", dedupe_key="d1")
        notify(recipient=person, kind="k", title="Second update", dedupe_key="d2")
        notify(recipient=other, kind="k", title="Someone else's", dedupe_key="d3")
    assert len(mail.outbox) == 1  # only the other person's immediate email
    mail.outbox.clear()
    with time_machine.travel(dt.datetime(2026, 5, 5, 6, 0, tzinfo=dt.UTC)):
        assert notification_digest_sweep.delay().get() == 1
        notification_digest_sweep.delay()  # a second beat
        notification_digest_sweep.delay("2026-05-04")  # a retry with the explicit day
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["digest@site.test"]
    assert "2 update(s)" in email.subject
    assert "First update" in email.body and "Second update" in email.body
    assert NotificationDigest.objects.get().notifications.count() == 2


@pytest.mark.django_db
def test_preferences_page_saves_choices(client):
    person = UserFactory()
    notify(recipient=person, kind="monitoring.visit_reminder", title="x", dedupe_key="p1")
    client.force_login(person)
    page = client.get("/inbox/preferences/").content.decode()
    assert "Monitoring visit reminder" in page
    response = client.post(
        "/inbox/preferences/",
        {"delivery-monitoring.visit_reminder": "digest", "delivery-*": "in_app"},
    )
    assert response.status_code == 302
    assert dict(person.notification_preferences.values_list("kind", "delivery")) == {
        "monitoring.visit_reminder": "digest",
        "*": "in_app",
    }


def test_unknown_delivery_is_refused():
    from core.exceptions import ApplicationError

    with pytest.raises(ApplicationError):
        notification_preference_set(actor=None, kind="k", delivery="pigeon")
