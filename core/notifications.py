"""Notification service: write the row (unique dedupe key) first, send the email after commit.

A second call with the same dedupe key finds the row and sends nothing, so a retry or a
second beat never sends twice. Sweeps write a batch at once (``notify_many``: two statements
per batch, whatever its size). Each person chooses per kind how a notification reaches them:
in the app only, an email right away, or one daily digest email.
"""

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.mail import send_mail
from django.db import connections, models, router, transaction
from django.utils import timezone

from core.exceptions import ApplicationError
from core.models import Delivery, Notification, NotificationDigest, NotificationPreference

# Kinds the apps send, with a label for the preferences page: apps add theirs in ready().
KINDS: dict[str, str] = {}


def register_kind(kind: str, label: str) -> None:
    KINDS.setdefault(kind, label)


def _deliveries(pairs: Iterable[tuple[int, str]]) -> dict[tuple[int, str], str]:
    """How each (person id, kind) is delivered, in one query: the person's choice for the kind,
    else their choice for every other kind, else email."""
    pairs = set(pairs)
    if not pairs:
        return {}
    every_other = NotificationPreference.EVERY_OTHER_KIND
    choices = {
        (user_id, kind): delivery
        for user_id, kind, delivery in NotificationPreference.objects.filter(
            user_id__in={user_id for user_id, _ in pairs},
            kind__in={kind for _, kind in pairs} | {every_other},
        ).values_list("user_id", "kind", "delivery")
    }
    return {
        (user_id, kind): (
            choices.get((user_id, kind)) or choices.get((user_id, every_other)) or Delivery.EMAIL
        )
        for user_id, kind in pairs
    }


def preferred_delivery(*, user, kind: str) -> str:
    """The person's choice for this kind, else their choice for every other kind, else email."""
    return _deliveries([(user.pk, kind)])[(user.pk, kind)]


@dataclass(frozen=True)
class Note:
    """One notification to write: to whom (a user or a user id), what it says, and the dedupe
    key that makes it once only."""

    recipient: Any
    kind: str
    title: str
    dedupe_key: str
    body: str = ""
    url: str = ""
    subject: models.Model | None = None


# Written by notify_many; the others keep their defaults (unsent, unread, no digest).
_INSERTED = (
    "recipient",
    "kind",
    "title",
    "body",
    "url",
    "content_type",
    "object_id",
    "dedupe_key",
    "created_at",
    "delivery",
)


def _insert_new(rows: list[Notification], using: str) -> dict[str, int]:
    """One ``INSERT … ON CONFLICT (dedupe_key) DO NOTHING RETURNING``: the ids of the rows this
    statement wrote, by dedupe key. A key that exists, or that a concurrent transaction is
    writing, is skipped (PostgreSQL waits for that transaction and skips the row if it commits),
    so two sweeps at once never both get the same key back."""
    meta = Notification._meta
    connection = connections[using]
    quote = connection.ops.quote_name
    fields = [meta.get_field(name) for name in _INSERTED]
    table, key, pk = (
        quote(meta.db_table),
        quote(meta.get_field("dedupe_key").column),
        quote(meta.pk.column),
    )
    columns = ", ".join(quote(field.column) for field in fields)
    values = ", ".join(["(" + ", ".join(["%s"] * len(fields)) + ")"] * len(rows))
    sql = (
        f"INSERT INTO {table} ({columns}) VALUES {values} "  # noqa: S608 - names from the model
        f"ON CONFLICT ({key}) DO NOTHING RETURNING {pk}, {key}"
    )
    params = [
        field.get_db_prep_save(getattr(row, field.attname), connection)
        for row in rows
        for field in fields
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {dedupe_key: pk for pk, dedupe_key in cursor.fetchall()}


def _user_id(recipient) -> int:
    return recipient.pk if isinstance(recipient, models.Model) else recipient


def notify_many(notes: Sequence[Note]) -> list[Notification]:
    """Write the notifications whose dedupe keys do not exist yet, in two statements whatever
    the number of notes (the recipients' delivery choices, then one insert that skips existing
    keys), and queue the email of each new EMAIL one after commit. Returns the rows written, in
    the order of ``notes``; a key given twice is written once (the first note)."""
    unique: dict[str, Note] = {}
    for note in notes:
        unique.setdefault(note.dedupe_key, note)
    if not unique:
        return []
    deliveries = _deliveries((_user_id(n.recipient), n.kind) for n in unique.values())
    now = timezone.now()
    rows = []
    for note in unique.values():
        row = Notification(
            kind=note.kind,
            title=note.title[:200],
            body=note.body,
            url=note.url,
            dedupe_key=note.dedupe_key,
            created_at=now,
            delivery=deliveries[(_user_id(note.recipient), note.kind)],
        )
        if isinstance(note.recipient, models.Model):
            row.recipient = note.recipient
        else:
            row.recipient_id = note.recipient
        if note.subject is not None:
            row.content_type = ContentType.objects.get_for_model(note.subject)
            row.object_id = note.subject.pk
        rows.append(row)
    using = router.db_for_write(Notification)
    written = _insert_new(rows, using)
    created = []
    for row in rows:
        if row.dedupe_key in written:
            row.pk = written[row.dedupe_key]
            row._state.adding, row._state.db = False, using
            created.append(row)
    from core.tasks import notification_send_email

    for row in created:
        if row.delivery == Delivery.EMAIL:
            transaction.on_commit(partial(notification_send_email.delay, row.pk), using=using)
    return created


def notify(
    *,
    recipient,
    kind: str,
    title: str,
    dedupe_key: str,
    body: str = "",
    url: str = "",
    subject: models.Model | None = None,
) -> Notification | None:
    """Create the notification unless one with this dedupe key exists; returns the new row or
    None when it already existed."""
    created = notify_many(
        [
            Note(
                recipient=recipient,
                kind=kind,
                title=title,
                dedupe_key=dedupe_key,
                body=body,
                url=url,
                subject=subject,
            )
        ]
    )
    return created[0] if created else None


@transaction.atomic
def notification_send_email(*, notification_id: int) -> bool:
    """Send the email for one notification at most once (row lock + sent_at)."""
    notification = (
        Notification.objects.select_for_update()
        .select_related("recipient")
        .filter(pk=notification_id, sent_at__isnull=True, delivery=Delivery.EMAIL)
        .first()
    )
    if notification is None:
        return False
    link = ""
    if notification.url:
        base = getattr(settings, "SITE_URL", "").rstrip("/")
        link = f"\n\n{base}{notification.url}"
    send_mail(
        subject=f"[TrialBridge] {notification.title}",
        message=f"{notification.body}{link}",
        from_email=None,
        recipient_list=[notification.recipient.email],
    )
    notification.sent_at = timezone.now()
    notification.save(update_fields=["sent_at"])
    return True


def notification_mark_read(*, actor, notification_ids: list[int] | None = None) -> int:
    """Mark the actor's notifications read (all unread ones when no ids are given)."""
    queryset = Notification.objects.filter(recipient=actor, read_at__isnull=True)
    if notification_ids is not None:
        queryset = queryset.filter(pk__in=notification_ids)
    return queryset.update(read_at=timezone.now())


def notification_preference_set(*, actor, kind: str, delivery: str) -> NotificationPreference:
    if delivery not in Delivery.values:
        raise ApplicationError("Choose how to receive it.", fields={"delivery": ["Choose one."]})
    if not kind or len(kind) > 60:
        raise ApplicationError("Unknown kind of notification.", fields={"kind": ["Unknown."]})
    preference, _ = NotificationPreference.objects.update_or_create(
        user=actor, kind=kind, defaults={"delivery": delivery}
    )
    return preference


def digest_recipients(*, day: dt.date) -> list[int]:
    """People with digest notifications from ``day`` or earlier still waiting to be sent."""
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)
    return list(
        Notification.objects.filter(
            delivery=Delivery.DIGEST, digest__isnull=True, created_at__lt=end
        )
        .values_list("recipient_id", flat=True)
        .distinct()
        .order_by("recipient_id")
    )


@transaction.atomic
def notification_digest_send(*, recipient_id: int, day: dt.date) -> bool:
    """Send one person's digest for ``day`` at most once: the (person, day) row is written and
    locked first, so a retry or a second beat finds it sent and sends nothing."""
    digest, _ = NotificationDigest.objects.get_or_create(recipient_id=recipient_id, day=day)
    digest = (
        NotificationDigest.objects.select_for_update().select_related("recipient").get(pk=digest.pk)
    )
    if digest.sent_at is not None:
        return False
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)
    pending = list(
        Notification.objects.filter(
            recipient_id=recipient_id,
            delivery=Delivery.DIGEST,
            digest__isnull=True,
            created_at__lt=end,
        ).order_by("created_at", "pk")[:500]
    )
    now = timezone.now()
    if pending:
        base = settings.SITE_URL.rstrip("/")
        lines = [f"- {n.title}" + (f"\n  {base}{n.url}" if n.url else "") for n in pending]
        send_mail(
            subject=f"[TrialBridge] Your daily digest: {len(pending)} update(s)",
            message="\n".join(lines) + f"\n\nAll of them are in your inbox: {base}/inbox/",
            from_email=None,
            recipient_list=[digest.recipient.email],
        )
        Notification.objects.filter(pk__in=[n.pk for n in pending]).update(
            digest=digest, sent_at=now
        )
    digest.sent_at = now
    digest.save(update_fields=["sent_at"])
    return bool(pending)
