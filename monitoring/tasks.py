"""Beat tasks: thin and idempotent (every notification carries a per-day dedupe key)."""

from celery import shared_task

from monitoring import services


@shared_task
def monitoring_reminders_send() -> dict[str, int]:
    return services.reminders_send()
