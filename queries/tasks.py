from celery import shared_task

from queries import services


@shared_task
def data_query_aging_reminders() -> int:
    """Daily: remind whoever an aging query waits on (idempotent per query, person and day)."""
    return services.data_query_send_aging_reminders()
