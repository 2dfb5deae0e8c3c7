"""Notification service: write the row (unique dedupe key) first, send the email after commit.

A second call with the same dedupe key finds the row and sends nothing, so a retry or a
second beat never sends twice.
"""

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone

from core.models import Notification


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
    from core.tasks import notification_send_email

    transaction.on_commit(lambda: notification_send_email.delay(notification.pk))
    return notification


@transaction.atomic
def notification_send_email(*, notification_id: int) -> bool:
    """Send the email for one notification at most once (row lock + sent_at)."""
    from django.conf import settings
    from django.core.mail import send_mail

    notification = (
        Notification.objects.select_for_update()
        .select_related("recipient")
        .filter(pk=notification_id, sent_at__isnull=True)
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
