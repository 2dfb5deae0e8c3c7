"""Notification service: write the row (unique dedupe key) first, send the email after commit.

A second call with the same dedupe key finds the row and sends nothing, so a retry or a
second beat never sends twice. Each person chooses per kind how a notification reaches them:
in the app only, an email right away, or one daily digest email.
"""

import datetime as dt

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.mail import send_mail
from django.db import models, transaction
from django.utils import timezone

from core.exceptions import ApplicationError
from core.models import Delivery, Notification, NotificationDigest, NotificationPreference

# Kinds the apps send, with a label for the preferences page: apps add theirs in ready().
KINDS: dict[str, str] = {}


def register_kind(kind: str, label: str) -> None:
    KINDS.setdefault(kind, label)


def preferred_delivery(*, user, kind: str) -> str:
    """The person's choice for this kind, else their choice for every other kind, else email."""
    choices = dict(
        NotificationPreference.objects.filter(
            user=user, kind__in=[kind, NotificationPreference.EVERY_OTHER_KIND]
        ).values_list("kind", "delivery")
    )
    return (
        choices.get(kind)
        or choices.get(NotificationPreference.EVERY_OTHER_KIND)
        or (Delivery.EMAIL)
    )


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
    defaults = {
        "recipient": recipient,
        "kind": kind,
        "title": title[:200],
        "body": body,
        "url": url,
        "delivery": preferred_delivery(user=recipient, kind=kind),
    }
    if subject is not None:
        defaults["content_type"] = ContentType.objects.get_for_model(subject)
        defaults["object_id"] = subject.pk
    with transaction.atomic():
        notification, created = Notification.objects.get_or_create(
            dedupe_key=dedupe_key, defaults=defaults
        )
    if not created:
        return None
    if notification.delivery == Delivery.EMAIL:
        from core.tasks import notification_send_email

        transaction.on_commit(lambda: notification_send_email.delay(notification.pk))
    return notification


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
