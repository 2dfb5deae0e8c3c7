"""The Celery app. Every task runs inside an audit context naming the task."""

import os

from celery import Celery, Task

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


class AuditedTask(Task):
    """Base task: database writes made by a task carry its name in the audit trail."""

    def __call__(self, *args, **kwargs):
        import pghistory

        with pghistory.context(task=self.name, task_id=getattr(self.request, "id", None)):
            return super().__call__(*args, **kwargs)


app = Celery("trialbridge", task_cls=AuditedTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
