from celery import shared_task

from trials import services


@shared_task
def subject_visit_due_reminders() -> int:
    """Daily: tell site coordinators about visits whose window opens within the next week
    (once per visit and coordinator)."""
    return services.subject_visit_send_due_reminders()
