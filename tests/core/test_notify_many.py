"""notify_many: a batch of notifications in a constant number of statements, each key once."""

import threading
import time

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from core.models import Delivery, Notification
from core.notifications import Note, notification_preference_set, notify, notify_many
from tests.factories import UserFactory


@pytest.mark.django_db
def test_each_person_gets_the_delivery_they_chose_for_the_kind(django_capture_on_commit_callbacks):
    chooser = UserFactory(email="chooser@site.test")
    quiet = UserFactory(email="quiet@site.test")
    default = UserFactory(email="default@site.test")
    notification_preference_set(actor=chooser, kind="query.aging", delivery=Delivery.IN_APP)
    notification_preference_set(actor=chooser, kind="*", delivery=Delivery.DIGEST)
    notification_preference_set(actor=quiet, kind="*", delivery=Delivery.IN_APP)
    notification_preference_set(actor=quiet, kind="sae.clock", delivery=Delivery.EMAIL)

    with django_capture_on_commit_callbacks(execute=True):
        created = notify_many(
            [
                Note(recipient=chooser, kind="query.aging", title="Q1", dedupe_key="c-q"),
                Note(recipient=chooser, kind="visit.due", title="V1", dedupe_key="c-v"),
                Note(recipient=quiet.pk, kind="visit.due", title="V2", dedupe_key="q-v"),
                Note(recipient=quiet.pk, kind="sae.clock", title="SAE due", dedupe_key="q-s"),
                Note(recipient=default, kind="visit.due", title="V3", dedupe_key="d-v"),
            ]
        )

    assert [n.dedupe_key for n in created] == ["c-q", "c-v", "q-v", "q-s", "d-v"]
    assert dict(Notification.objects.values_list("dedupe_key", "delivery")) == {
        "c-q": Delivery.IN_APP,  # the choice for the kind
        "c-v": Delivery.DIGEST,  # no choice for the kind: the one for every other kind
        "q-v": Delivery.IN_APP,
        "q-s": Delivery.EMAIL,
        "d-v": Delivery.EMAIL,  # no choice at all: email
    }
    assert sorted((m.to[0], m.subject) for m in mail.outbox) == [
        ("default@site.test", "[TrialBridge] V3"),
        ("quiet@site.test", "[TrialBridge] SAE due"),
    ]


@pytest.mark.django_db
def test_existing_keys_are_skipped_and_not_emailed_again(django_capture_on_commit_callbacks):
    person = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipient=person, kind="k", title="Already there", dedupe_key="old")
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        created = notify_many(
            [
                Note(recipient=person, kind="k", title="Changed title", dedupe_key="old"),
                Note(recipient=person, kind="k", title="New one", dedupe_key="new"),
                Note(recipient=person, kind="k", title="New one again", dedupe_key="new"),
            ]
        )
        again = notify_many([Note(recipient=person, kind="k", title="New", dedupe_key="new")])

    assert [n.title for n in created] == ["New one"]
    assert again == []
    assert Notification.objects.get(dedupe_key="old").title == "Already there"
    assert Notification.objects.filter(dedupe_key="new").count() == 1
    assert [m.subject for m in mail.outbox] == ["[TrialBridge] New one"]
    assert Notification.objects.get(dedupe_key="new").sent_at is not None


@pytest.mark.django_db
def test_emails_wait_for_commit_and_only_for_new_email_rows(django_capture_on_commit_callbacks):
    person, reader = UserFactory(), UserFactory()
    notification_preference_set(actor=reader, kind="*", delivery=Delivery.IN_APP)
    notify(recipient=person, kind="k", title="Before", dedupe_key="before")
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        created = notify_many(
            [
                Note(recipient=person, kind="k", title="Before", dedupe_key="before"),
                Note(recipient=person, kind="k", title="Mail me", dedupe_key="m1"),
                Note(recipient=reader, kind="k", title="In the app", dedupe_key="a1"),
            ]
        )

    assert len(created) == 2
    assert len(callbacks) == 1  # one email, queued for after commit
    assert mail.outbox == []
    callbacks[0]()
    assert [m.subject for m in mail.outbox] == ["[TrialBridge] Mail me"]


@pytest.mark.django_db
def test_rows_hold_what_notify_would_write():
    person, visit_owner = UserFactory(), UserFactory()
    [row] = notify_many(
        [
            Note(
                recipient=person.pk,
                kind="k",
                title="x" * 250,
                dedupe_key="full",
                body="Body",
                url="/somewhere/",
                subject=visit_owner,
            )
        ]
    )
    stored = Notification.objects.get(pk=row.pk)
    assert stored.recipient == person
    assert stored.title == "x" * 200
    assert (stored.body, stored.url, stored.kind) == ("Body", "/somewhere/", "k")
    assert stored.subject == visit_owner
    assert stored.content_type == ContentType.objects.get_for_model(visit_owner)
    assert stored.created_at is not None and stored.sent_at is None and stored.read_at is None
    assert notify_many([]) == []


@pytest.mark.django_db
def test_a_batch_costs_the_same_queries_whatever_its_size():
    people = UserFactory.create_batch(5)
    notification_preference_set(actor=people[0], kind="*", delivery=Delivery.IN_APP)
    subject = UserFactory()
    ContentType.objects.get_for_model(subject)  # the content type cache, as in a running worker

    def notes(prefix: str, count: int) -> list[Note]:
        return [
            Note(
                recipient=people[i % 5],
                kind=f"kind.{i % 3}",
                title=f"Note {i}",
                dedupe_key=f"{prefix}:{i}",
                subject=subject,
            )
            for i in range(count)
        ]

    with CaptureQueriesContext(connection) as five:
        assert len(notify_many(notes("five", 5))) == 5
    with CaptureQueriesContext(connection) as fifty:
        assert len(notify_many(notes("fifty", 50))) == 50
    with CaptureQueriesContext(connection) as again:
        assert notify_many(notes("fifty", 50)) == []

    assert len(five) == len(fifty) == len(again) == 2  # the delivery choices, one insert


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_write_and_email_each_key_once():
    people = UserFactory.create_batch(3)
    notes = [
        Note(recipient=p.pk, kind="k", title=f"For {p.pk}", dedupe_key=f"race:{p.pk}")
        for p in people
    ]
    results: dict[str, list[Notification]] = {}
    first_wrote, release_first = threading.Event(), threading.Event()

    def first_sweep():
        try:
            with transaction.atomic():
                results["first"] = notify_many(notes)
                first_wrote.set()
                release_first.wait(timeout=30)
        finally:
            connections.close_all()

    def second_sweep():
        first_wrote.wait(timeout=30)
        try:
            results["second"] = notify_many(notes)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first_sweep), threading.Thread(target=second_sweep)]
    for thread in threads:
        thread.start()
    # The second sweep's insert waits for the first sweep's uncommitted rows.
    waited = False
    deadline = time.monotonic() + 30
    while not waited and time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            waited = cursor.fetchone()[0] > 0
        time.sleep(0.02)
    release_first.set()
    for thread in threads:
        thread.join(timeout=30)

    assert waited
    assert len(results["first"]) == 3
    assert results["second"] == []
    assert Notification.objects.filter(dedupe_key__startswith="race:").count() == 3
    assert len(mail.outbox) == 3
