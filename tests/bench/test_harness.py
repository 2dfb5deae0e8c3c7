"""The bench harness without the load tool (CI has no wrk): pages resolve at a tiny scale,
queries are counted per page, the report tables come out, and a smoke run of ``make bench``
through its own entry point (``python -m bench.run``) works end to end. No timing assertions."""

import os
import re
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.core.management import call_command
from django.db import connections

from bench.run import (
    FLOOR,
    ExportResult,
    Page,
    Result,
    SweepResult,
    count_queries,
    exports,
    format_exports,
    format_sweeps,
    format_table,
    pages,
    periodic_tasks,
    server_times,
    signed_in_clients,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_every_page_answers_and_its_queries_are_counted(settings):
    settings.ROOT_URLCONF = "bench.floor_urls"
    call_command("seed_scale", scale=0.0005)

    page_list = pages()
    counts = count_queries(page_list, signed_in_clients())

    labels = set(counts)
    assert {
        "coordinator dashboard",
        "coordinator work inbox",
        "coordinator enrollment log",
        "coordinator visit-due list",
        "CRA monitoring visit list",
        "finance payment run detail",
        "finance aging report",
        "API monitoring visits",
        "API invoices",
        FLOOR,
    } <= labels
    assert {label: status for label, (status, _) in counts.items() if status != 200} == {}
    assert all(queries >= 1 for _, queries in counts.values())
    table = format_table([Result(p, *counts[p.label]) for p in page_list])
    lines = table.splitlines()
    assert lines[0].startswith("| page | role | path | status | queries | req/s")
    assert len(lines) == 2 + len(page_list)
    assert "| finance payment run detail | finance | `/payments/runs/" in table
    assert {page.role for page in exports()} == {"coordinator", "finance"}


def test_table_gives_the_ratio_to_the_floor_and_worker_memory():
    floor = Result(Page(FLOOR, "coordinator", "/bench/floor/"), 200, 1, 400.0, 5.0, 8.0, 9.0)
    page = Result(
        Page("query list", "cra", "/queries/"),
        200,
        10,
        100.0,
        20.0,
        30.0,
        40.0,
        0,
        130.5,
        server_p50=12.0,
        server_p95=18.5,
    )

    table = format_table([page, floor])

    assert (
        "| query list | cra | `/queries/` | 200 | 10 | 100.0 | 20.0 | 30.0 | 40.0 | 12.0 | 18.5 "
        "| 0.25 | 0 | 130.5 |" in table
    )
    assert f"| {FLOOR} | coordinator | `/bench/floor/` | 200 | 1 | 400.0 |" in table


def test_server_time_comes_from_the_workers_access_log():
    # One line per request: microseconds inside the worker, status, path (ACCESS_FORMAT).
    lines = [f"{ms * 1000} 200 /queries/\n" for ms in range(1, 101)]

    p50, p95 = server_times([*lines, "\n"])

    assert (p50, p95) == (50.0, 95.0)
    assert server_times([]) == (None, None)


def test_export_and_sweep_tables():
    export = ExportResult(
        Page("aging CSV", "finance", "/payments/studies/1/aging.csv"),
        200,
        rows=1200,
        megabytes=0.25,
        seconds=0.5,
        before_mb=110.0,
        peak_mb=112.5,
    )
    assert (
        "| aging CSV | finance | `/payments/studies/1/aging.csv` | 200 | 1200 | 0.25 | 0.50 "
        "| 110.0 | 112.5 | 2.5 |" in format_exports([export])
    )
    sweep = SweepResult(
        task="trials.tasks.subject_visit_due_reminders",
        schedule="cron `45 6 * * *`",
        before_kb=100 * 1024,
        runs=[
            {"seconds": 1.5, "notifications": 12, "emails": 7, "result": 12, "peak_kb": 110 * 1024},
            {"seconds": 0.5, "notifications": 0, "emails": 0, "result": 0, "peak_kb": 110 * 1024},
        ],
    )
    assert (
        "| `trials.tasks.subject_visit_due_reminders` | cron `45 6 * * *` | 1.50 | 12 | 7 | 12 "
        "| 110.0 | 10.0 | 0.50 | 0 | 0 |" in format_sweeps([sweep])
    )
    failed = SweepResult(task="x.tasks.y", schedule="every 60 s", error="boom")
    assert "| `x.tasks.y` | every 60 s | failed: boom |" in format_sweeps([failed])


def test_every_reminder_sweep_is_timed():
    tasks = {name for name, _ in periodic_tasks()}
    assert {
        "trials.tasks.subject_visit_due_reminders",
        "monitoring.tasks.monitoring_reminders_send",
        "queries.tasks.data_query_aging_reminders",
        "regulatory.tasks.document_expiry_reminders",
        "safety.tasks.sae_escalations",
        "payments.tasks.payment_reminders_send",
        "feasibility.tasks.feasibility_due_reminders",
        "core.tasks.notification_digest_sweep",
    } <= tasks


def _table(report: str, title: str) -> list[list[str]]:
    section = report.split(f"## {title}", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ")]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows[1:]]


@pytest.fixture
def smoke_database(django_db_setup, django_db_blocker):
    """A database of its own for the smoke run (the harness and its subprocesses commit): a
    copy of the migrated test database, dropped afterwards."""
    settings = connections["default"].settings_dict
    name = f"{settings['NAME']}_bench_smoke"[:63]
    admin = {
        "host": settings["HOST"] or None,
        "port": settings["PORT"] or None,
        "user": settings["USER"],
        "password": settings["PASSWORD"] or None,
        "dbname": "postgres",
        "autocommit": True,
    }
    with django_db_blocker.unblock():
        connections.close_all()  # a template database must have no open connection
    with psycopg.connect(**{k: v for k, v in admin.items() if v is not None}) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        try:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{settings["NAME"]}"')
        except psycopg.errors.ObjectInUse:
            conn.execute(f'CREATE DATABASE "{name}"')  # the harness migrates it
    host = settings["HOST"] or "localhost"
    port = settings["PORT"] or "5432"
    password = f":{settings['PASSWORD']}" if settings["PASSWORD"] else ""
    yield f"postgres://{settings['USER']}{password}@{host}:{port}/{name}"
    with psycopg.connect(**{k: v for k, v in admin.items() if v is not None}) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_smoke_run_of_make_bench_at_a_tiny_scale(smoke_database, tmp_path):
    redis = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    out = tmp_path / "bench.md"
    env = {
        **os.environ,
        "BENCH_DATABASE_URL": smoke_database,
        "BENCH_REDIS_URL": re.sub(r"/\d+$", "/11", redis),
        "BENCH_WRK": "wrk-not-installed-in-ci",  # as in CI: no load tool
        "DJANGO_MEDIA_ROOT": str(tmp_path / "media"),
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)

    run = subprocess.run(  # noqa: S603 - the harness's own entry point
        [sys.executable, "-m", "bench.run", "--scale", "0.001", "--out", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )

    assert run.returncode == 0, run.stderr[-3000:]
    assert "wrk is not installed" in run.stderr
    report = out.read_text()
    assert "- data set: seed_scale --scale 0.001" in report
    page_rows = _table(report, "Pages and API lists")
    assert len(page_rows) >= 25
    assert {row[0]: row[3] for row in page_rows if row[3] != "200"} == {}
    export_rows = _table(report, "CSV exports: worker memory while streaming")
    assert len(export_rows) == 3
    for row in export_rows:
        assert row[3] == "200" and int(row[4]) > 0, row
        assert float(row[8]) > 0, row  # the worker's memory was sampled
    sweep_rows = _table(report, "Periodic tasks (reminder sweeps) over the bench data")
    assert len(sweep_rows) >= 8
    assert not [row for row in sweep_rows if row[2].startswith("failed")]
    assert sum(int(row[3]) for row in sweep_rows) > 0  # the first runs sent reminders
    assert {(row[9], row[10]) for row in sweep_rows} == {("0", "0")}  # the second sent nothing
