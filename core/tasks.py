from celery import shared_task

from core import notifications


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def notification_send_email(notification_id: int) -> bool:
    return notifications.notification_send_email(notification_id=notification_id)
