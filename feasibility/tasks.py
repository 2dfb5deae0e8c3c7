"""Feasibility background work: thin and idempotent (notifications carry dedupe keys)."""

from celery import shared_task


@shared_task(name="feasibility.tasks.feasibility_due_reminders")
def feasibility_due_reminders() -> int:
    from feasibility.services import feasibility_reminders_send

    return feasibility_reminders_send()
