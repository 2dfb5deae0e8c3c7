"""Periodic tasks: each app registers its beat entries in ``AppConfig.ready()``.

django-celery-beat's DatabaseScheduler copies these entries into its tables when beat starts,
so operators can still see and pause them in the admin.
"""

from celery import current_app
from celery.schedules import crontab


def register(name: str, task: str, schedule: crontab | float, **options) -> None:
    current_app.conf.beat_schedule = {
        **(current_app.conf.beat_schedule or {}),
        name: {"task": task, "schedule": schedule, **options},
    }


__all__ = ["crontab", "register"]
