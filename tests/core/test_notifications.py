import pytest
from django.core import mail

from core.models import Notification
from core.notifications import notification_mark_read, notify
from tests.factories import UserFactory


@pytest.mark.django_db
def test_notify_writes_the_row_and_sends_one_email_after_commit(django_capture_on_commit_callbacks):
    person = UserFactory(email="coordinator@site.test")
    with django_capture_on_commit_callbacks(execute=True):
        notification = notify(
            recipient=person,
            kind="visit.reminder",
            title="Monitoring visit tomorrow",
            body="IMV at 09:00",
            url="/studies/",
            dedupe_key="visit.reminder:1:2026-11-25",
        )
    assert notification is not None
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["coordinator@site.test"]
    assert "Monitoring visit tomorrow" in mail.outbox[0].subject
    notification.refresh_from_db()
    assert notification.sent_at is not None


@pytest.mark.django_db
def test_same_dedupe_key_sends_nothing_the_second_time(django_capture_on_commit_callbacks):
    person = UserFactory()
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            notify(recipient=person, kind="k", title="Once only", dedupe_key="once")
    assert Notification.objects.filter(dedupe_key="once").count() == 1
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_a_retried_send_task_does_not_send_again(django_capture_on_commit_callbacks):
    from core.tasks import notification_send_email

    person = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        notification = notify(recipient=person, kind="k", title="Hello", dedupe_key="retry")
    notification_send_email.delay(notification.pk)
    notification_send_email.delay(notification.pk)
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_no_email_when_the_transaction_rolls_back(django_capture_on_commit_callbacks):
    person = UserFactory()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notify(recipient=person, kind="k", title="Never", dedupe_key="rolled-back")
    assert len(callbacks) == 1  # waits for commit; not sent inside the transaction
    assert len(mail.outbox) == 0


@pytest.mark.django_db
def test_mark_read_only_touches_the_actors_notifications():
    me, someone_else = UserFactory(), UserFactory()
    mine = notify(recipient=me, kind="k", title="Mine", dedupe_key="mine")
    theirs = notify(recipient=someone_else, kind="k", title="Theirs", dedupe_key="theirs")
    changed = notification_mark_read(actor=me, notification_ids=[mine.pk, theirs.pk])
    assert changed == 1
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.read_at is not None
    assert theirs.read_at is None


@pytest.mark.django_db
def test_inbox_page_lists_and_marks_read(client):
    me = UserFactory()
    notify(recipient=me, kind="k", title="Report approved", dedupe_key="a")
    other = notify(recipient=UserFactory(), kind="k", title="Somebody else's", dedupe_key="b")
    client.force_login(me)
    page = client.get("/inbox/").content.decode()
    assert "Report approved" in page
    assert "Somebody else" not in page
    note = me.notifications.get()
    response = client.post(f"/inbox/{note.pk}/read/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "Read" in response.content.decode()
    assert client.post(f"/inbox/{other.pk}/read/").status_code == 404
