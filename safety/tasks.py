"""Background work for safety: thin, idempotent (notifications carry dedupe keys)."""

from celery import shared_task

from safety import services


@shared_task
def sae_escalations() -> int:
    """Beat: warn about SAE clocks close to or past 24 hours and unacknowledged reports."""
    return services.sae_escalate()


@shared_task
def adverse_event_submitted(adverse_event_id: int) -> int:
    """After a report is submitted: tell CRO safety (and the study lead when it was late)."""
    return services.adverse_event_notify_submitted(adverse_event_id=adverse_event_id)
