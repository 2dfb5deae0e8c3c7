"""Time one periodic task (a reminder sweep) over the bench data: ``python -m bench.sweep NAME``.

Run by bench/run.py in a process of its own per task, so the peak memory it reports is the
task's alone, like a Celery worker's. Inside one transaction that is rolled back at the end (the
bench data stays as seeded, so every bench run sweeps the same data):

1. runs the task as Celery would in a worker (``task.apply()``: the project's audited task
   class, eager sub-tasks such as the per-person digests), timing it and counting the
   notifications it wrote and the emails it sent or queued (after-commit callbacks: counted and
   dropped, since the transaction never commits);
2. runs it a second time, which must send nothing (dedupe keys, digests already sent).

Prints one JSON object. A real worker commits each notification on its own (one WAL flush
each); inside one transaction those commits are savepoints, so real sweeps take a little longer.
"""

import json
import os
import sys
import time


def _status(field: str) -> int:
    """VmRSS / VmHWM of this process in kB (Linux /proc)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def _sent(result) -> int:
    if isinstance(result, dict):
        return sum(int(v) for v in result.values())
    if isinstance(result, bool):
        return int(result)
    return int(result or 0)


def sweep(name: str) -> dict:
    from django.db import connection, transaction

    from bench.mail import CountingBackend
    from config.celery import app
    from core.models import Notification

    task = app.tasks[name]
    rounds = []
    queued = [0]

    def count_and_drop(func, robust=False):
        """After-commit work (the email of each notification, domain events): a worker runs it
        at each commit; here the transaction is rolled back, so it is counted and dropped
        rather than kept in a list that would grow with the sweep and skew its memory."""
        queued[0] += 1

    connection.on_commit = count_and_drop
    rss_before = _status("VmRSS")
    with transaction.atomic():
        for _ in range(2):
            first_new = (
                Notification.objects.order_by("-pk").values_list("pk", flat=True)[:1] or [0]
            )[0] + 1
            before_queued = queued[0]
            mailed = CountingBackend.sent
            started = time.perf_counter()
            result = task.apply(throw=True).get()
            seconds = time.perf_counter() - started
            rounds.append(
                {
                    "seconds": seconds,
                    "result": _sent(result),
                    "notifications": Notification.objects.filter(pk__gte=first_new).count(),
                    "emails": queued[0] - before_queued + CountingBackend.sent - mailed,
                    "peak_kb": _status("VmHWM"),
                }
            )
        transaction.set_rollback(True)
    return {"task": name, "rss_before_kb": rss_before, "runs": rounds}


def main(argv: list[str]) -> int:
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "true"
    os.environ["DJANGO_EMAIL_BACKEND"] = "bench.mail.CountingBackend"
    import django

    django.setup()
    from config.celery import app

    app.loader.import_default_modules()  # the tasks modules (autodiscovery is lazy)
    print(json.dumps(sweep(argv[0])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
