from celery import shared_task

from core import notifications


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def notification_send_email(notification_id: int) -> bool:
    return notifications.notification_send_email(notification_id=notification_id)


@shared_task
def notification_digest_sweep(day: str | None = None) -> int:
    """Daily: one digest task per person with digest notifications waiting."""
    import datetime as dt

    from django.utils import timezone

    target = dt.date.fromisoformat(day) if day else timezone.now().date() - dt.timedelta(days=1)
    recipients = notifications.digest_recipients(day=target)
    for recipient_id in recipients:
        notification_send_digest.delay(recipient_id, target.isoformat())
    return len(recipients)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def notification_send_digest(recipient_id: int, day: str) -> bool:
    import datetime as dt

    return notifications.notification_digest_send(
        recipient_id=recipient_id, day=dt.date.fromisoformat(day)
    )
