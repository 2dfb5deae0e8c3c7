"""Thin, idempotent tasks of the scorecards app."""

from celery import shared_task

from scorecards import services


@shared_task
def scorecard_snapshots_write() -> int:
    """Daily (beat): write last month's snapshot for every study-site that lacks one. Running
    it again, or on every day of the month, adds nothing."""
    from scorecards.measures import today as utc_today

    today = utc_today()
    return services.scorecard_snapshots_write(
        month=services.last_complete_month(today), today=today
    )
