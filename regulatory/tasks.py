"""Background work for regulatory documents: thin and idempotent."""

from celery import shared_task

from regulatory.services import document_expiry_remind


@shared_task(name="regulatory.tasks.document_expiry_reminders")
def document_expiry_reminders() -> int:
    """Daily: remind about documents expiring in 60, 30 and 7 days, and expired ones."""
    return document_expiry_remind()
