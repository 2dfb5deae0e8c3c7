"""Thin, idempotent tasks: take ids, call a service (notifications carry dedupe keys)."""

from celery import shared_task

from payments import services


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def remittance_send(payment_run_id: int) -> int:
    return services.remittance_send(payment_run_id=payment_run_id)


@shared_task
def payment_reminders_send() -> int:
    return services.payment_reminders_send()
