"""``make bench`` (``python -m bench.run``): measure TrialBridge over real HTTP on the bench data.

1. Migrates the bench database and builds the bench data set when it is not there yet
   (``seed_scale --scale``).
2. Counts the SQL queries of one request to each page with Django's test client (not under
   load).
3. Times every periodic task registered through core.schedules (the reminder sweeps, the
   digest) over the bench data, each in a process of its own (bench/sweep.py): time,
   notifications and emails of a first run, and a second run that must send nothing; peak
   memory of the process.
4. Starts gunicorn (config.wsgi, 2 workers, bench settings) on a free loopback port, signs in
   each role over HTTP (allauth login form for pages, ``POST /api/v1/auth/token/`` for the API)
   and loads every page with wrk (Debian package ``wrk``), then Django's floor view, sampling
   the workers' resident memory from /proc while each page is loaded. wrk's latency is what a
   client waits (with 4 connections on 2 workers it includes waiting for a free worker, and wrk
   shares the cores); the server time is each request's time inside a worker, from gunicorn's
   access log (``%(D)s``).
5. Downloads each CSV export from a fresh one-worker gunicorn and records how much the worker's
   memory grew while it streamed (flat = streamed, whatever the data size).
6. Prints the markdown report and writes it to ``--out``.

``--no-load`` skips the HTTP steps (4, 5); without wrk only step 4 is skipped.
"""

import argparse
import json
import math
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.client import HTTPConnection
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLOOR = "Django floor (1 query, tiny template)"
ROLES = ("coordinator", "cra", "finance", "pm")


@dataclass(frozen=True)
class Page:
    label: str
    role: str  # the bench login: coordinator, cra, finance, pm
    path: str
    api: bool = False


@dataclass
class Result:
    page: Page
    status: int | None = None
    queries: int | None = None
    rps: float | None = None
    p50: float | None = None
    p95: float | None = None
    p99: float | None = None
    errors: int = 0
    worker_mb: float | None = None
    server_p50: float | None = None  # ms inside a worker (gunicorn access log)
    server_p95: float | None = None


@dataclass
class ExportResult:
    page: Page
    status: int | None = None
    rows: int = 0
    megabytes: float = 0.0
    seconds: float = 0.0
    before_mb: float | None = None
    peak_mb: float | None = None

    @property
    def growth_mb(self) -> float | None:
        if self.before_mb is None or self.peak_mb is None:
            return None
        return self.peak_mb - self.before_mb


@dataclass
class SweepResult:
    task: str
    schedule: str
    runs: list[dict] = field(default_factory=list)
    before_kb: int = 0
    error: str = ""


def bench_env(database_url: str, redis_url: str) -> dict[str, str]:
    """The environment of the bench run: production-like settings on plain-HTTP loopback."""
    return {
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "DJANGO_DEBUG": "false",
        "DJANGO_TESTING": "false",
        "DJANGO_SECRET_KEY": "bench-only-secret-key-not-for-production-0123456789",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_LOG_LEVEL": "WARNING",
    }


# --- what is measured ---------------------------------------------------------------------------


def pages() -> list[Page]:
    """The measured pages and API lists, one row per role that uses them, resolved against the
    bench data (needs Django set up)."""
    from dashboards.scale import CROS, bench_email
    from payments.models import PaymentRun, PaymentRunStatus
    from trials.models import StudySite

    coordinator_site = (
        StudySite.objects.filter(site__memberships__user__email=bench_email("coordinator", 1))
        .order_by("pk")
        .first()
    )
    ready_run = (
        PaymentRun.objects.filter(
            status=PaymentRunStatus.APPROVED, study_site__study__cro__name=CROS[0]
        )
        .order_by("pk")
        .first()
    )
    site_pages = []
    if coordinator_site is not None:
        site_pages = [
            Page(
                "coordinator enrollment log",
                "coordinator",
                f"/study-sites/{coordinator_site.pk}/subjects/",
            ),
            Page(
                "coordinator enrollment metrics",
                "coordinator",
                f"/study-sites/{coordinator_site.pk}/enrollment/",
            ),
        ]
    finance_pages = [
        Page("finance dashboard", "finance", "/"),
        Page("finance invoice list", "finance", "/payments/invoices/"),
        Page("finance aging report", "finance", "/payments/aging/"),
    ]
    if ready_run is not None:
        finance_pages.insert(
            2, Page("finance payment run detail", "finance", f"/payments/runs/{ready_run.pk}/")
        )
    return [
        Page("coordinator dashboard", "coordinator", "/"),
        Page("coordinator work inbox", "coordinator", "/inbox/work/"),
        Page("coordinator notifications", "coordinator", "/inbox/"),
        *site_pages,
        Page("coordinator visit-due list", "coordinator", "/visits/due/"),
        Page("coordinator query list", "coordinator", "/queries/"),
        Page("CRA dashboard", "cra", "/"),
        Page("CRA monitoring visit list", "cra", "/monitoring/visits/"),
        Page("CRA action item list", "cra", "/monitoring/action-items/"),
        Page("CRA query list", "cra", "/queries/"),
        Page("PM dashboard", "pm", "/"),
        *finance_pages,
        Page("API studies", "coordinator", "/api/v1/studies/", api=True),
        Page("API study-sites", "coordinator", "/api/v1/study-sites/", api=True),
        Page("API documents", "coordinator", "/api/v1/documents/", api=True),
        Page("API subjects", "cra", "/api/v1/subjects/", api=True),
        Page("API subject visits", "cra", "/api/v1/subject-visits/", api=True),
        Page("API data queries", "cra", "/api/v1/data-queries/", api=True),
        Page("API monitoring visits", "cra", "/api/v1/monitoring-visits/", api=True),
        Page("API action items", "cra", "/api/v1/action-items/", api=True),
        Page("API invoices", "finance", "/api/v1/invoices/", api=True),
        Page("API earnings", "finance", "/api/v1/earnings/", api=True),
        Page("API payment runs", "finance", "/api/v1/payment-runs/", api=True),
        Page(FLOOR, "coordinator", "/bench/floor/"),
    ]


def exports() -> list[Page]:
    """The CSV exports whose worker memory must stay flat as the data grows."""
    from dashboards.scale import CROS, bench_email
    from trials.models import Study, StudySite

    rows = []
    coordinator_site = (
        StudySite.objects.filter(site__memberships__user__email=bench_email("coordinator", 1))
        .order_by("pk")
        .first()
    )
    if coordinator_site is not None:
        rows.append(
            Page(
                "enrollment log CSV (one study-site)",
                "coordinator",
                f"/study-sites/{coordinator_site.pk}/subjects/export.csv",
            )
        )
    study = Study.objects.filter(cro__name=CROS[0]).order_by("pk").first()
    if study is not None:
        rows.append(
            Page(
                "aging CSV (every unpaid item of one study)",
                "finance",
                f"/payments/studies/{study.pk}/aging.csv",
            )
        )
    rows.append(Page("site payments CSV (every study-site)", "finance", "/payments/export.csv"))
    return rows


def count_queries(page_list: list[Page], clients: dict) -> dict[str, tuple[int, int]]:
    """{page label: (status code, SQL queries)} for one request each, with the Django test
    clients given per role (already signed in)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = {}
    for page in page_list:
        with CaptureQueriesContext(connection) as captured:
            response = clients[page.role].get(page.path)
        counts[page.label] = (response.status_code, len(captured.captured_queries))
    return counts


def signed_in_clients() -> dict:
    from django.test import Client

    from accounts.models import User
    from dashboards.scale import bench_email

    clients = {}
    for role in ROLES:
        client = Client(raise_request_exception=False)  # a broken page shows as a 500 row
        client.force_login(User.objects.get(email=bench_email(role, 1)))
        clients[role] = client
    return clients


def data_set_counts() -> dict[str, int]:
    from monitoring.models import MonitoringVisit
    from payments.models import Earning
    from queries.models import DataQuery
    from trials.models import StudySite, Subject, SubjectVisit

    return {
        "study-sites": StudySite.objects.count(),
        "subjects": Subject.objects.count(),
        "subject visits": SubjectVisit.objects.count(),
        "data queries": DataQuery.objects.count(),
        "monitoring visits": MonitoringVisit.objects.count(),
        "earnings": Earning.objects.count(),
    }


# --- tables -------------------------------------------------------------------------------------


def _fmt(value: float | int | None, digits: int = 1) -> str:
    if value is None:
        return "–"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def format_table(results: list[Result]) -> str:
    """The page table: one row per page, with the throughput ratio to the floor row and the
    peak resident memory of a gunicorn worker while that page was loaded."""
    floor = next((r for r in results if r.page.label == FLOOR), None)
    floor_rps = floor.rps if floor is not None else None
    lines = [
        "| page | role | path | status | queries | req/s | p50 ms | p95 ms | p99 ms "
        "| server p50 ms | server p95 ms | ratio to floor | errors | worker MB |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        ratio = r.rps / floor_rps if r.rps is not None and floor_rps else None
        lines.append(
            f"| {r.page.label} | {r.page.role} | `{r.page.path}` | {_fmt(r.status)} "
            f"| {_fmt(r.queries)} | {_fmt(r.rps)} | {_fmt(r.p50)} | {_fmt(r.p95)} "
            f"| {_fmt(r.p99)} | {_fmt(r.server_p50)} | {_fmt(r.server_p95)} "
            f"| {_fmt(ratio, 2)} | {r.errors} | {_fmt(r.worker_mb)} |"
        )
    return "\n".join(lines) + "\n"


def format_exports(results: list[ExportResult]) -> str:
    lines = [
        "| export | role | path | status | rows | MB | seconds | worker MB before "
        "| worker MB peak | growth MB |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r.page.label} | {r.page.role} | `{r.page.path}` | {_fmt(r.status)} "
            f"| {r.rows} | {r.megabytes:.2f} | {r.seconds:.2f} | {_fmt(r.before_mb)} "
            f"| {_fmt(r.peak_mb)} | {_fmt(r.growth_mb)} |"
        )
    return "\n".join(lines) + "\n"


def format_sweeps(results: list[SweepResult]) -> str:
    lines = [
        "| periodic task | schedule | 1st run s | notifications | emails | result "
        "| peak MB | growth MB | 2nd run s | notifications | emails |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        if r.error or len(r.runs) != 2:
            lines.append(
                f"| `{r.task}` | {r.schedule} | failed: {r.error or 'no result'} | | | | | | | | |"
            )
            continue
        first, second = r.runs
        peak = first["peak_kb"] / 1024
        lines.append(
            f"| `{r.task}` | {r.schedule} | {first['seconds']:.2f} | {first['notifications']} "
            f"| {first['emails']} | {first['result']} | {peak:.1f} "
            f"| {(first['peak_kb'] - r.before_kb) / 1024:.1f} | {second['seconds']:.2f} "
            f"| {second['notifications']} | {second['emails']} |"
        )
    return "\n".join(lines) + "\n"


# --- periodic tasks -----------------------------------------------------------------------------


def periodic_tasks() -> list[tuple[str, str]]:
    """(task name, schedule) of every beat entry registered through core.schedules."""
    from config.celery import app

    schedule = app.conf.beat_schedule or {}
    return sorted(
        {(entry["task"], _schedule(entry["schedule"])) for entry in schedule.values()},
        key=lambda item: item[0],
    )


def _schedule(schedule) -> str:
    parts = [
        getattr(schedule, f"_orig_{name}", None)
        for name in ("minute", "hour", "day_of_month", "month_of_year", "day_of_week")
    ]
    if all(part is not None for part in parts):
        return "cron `" + " ".join(str(part) for part in parts) + "`"
    seconds = getattr(schedule, "seconds", schedule)
    return f"every {seconds} s" if isinstance(seconds, int | float) else str(schedule)


def measure_sweeps(env: dict[str, str]) -> list[SweepResult]:
    results = []
    for task, schedule in periodic_tasks():
        result = SweepResult(task=task, schedule=schedule)
        out = subprocess.run(  # noqa: S603 - our own module with the venv's python
            [sys.executable, "-m", "bench.sweep", task],
            cwd=ROOT,
            env={**os.environ, **env},
            capture_output=True,
            text=True,
        )
        if out.returncode != 0:
            result.error = (out.stderr.strip().splitlines() or ["exit " + str(out.returncode)])[-1]
        else:
            data = json.loads(out.stdout.strip().splitlines()[-1])
            result.runs, result.before_kb = data["runs"], data["rss_before_kb"]
        results.append(result)
        if result.runs:
            first, second = result.runs
            print(
                f"  {task}: {first['seconds']:.2f} s, {first['notifications']} notifications; "
                f"again: {second['notifications']}",
                flush=True,
            )
        else:
            print(f"  {task}: failed: {result.error}", flush=True)
    return results


# --- load over HTTP -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _cookies(headers: list[tuple[str, str]]) -> dict[str, str]:
    jar = {}
    for name, value in headers:
        if name.lower() == "set-cookie":
            key, _, rest = value.partition("=")
            jar[key.strip()] = rest.split(";", 1)[0]
    return jar


def http_session(port: int, email: str, password: str) -> str:
    """Sign in through the allauth login form; returns the session cookie value."""
    conn = HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", "/accounts/login/")
    response = conn.getresponse()
    html = response.read().decode()
    csrf_cookie = _cookies(response.getheaders())["csrftoken"]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    body = urllib.parse.urlencode(
        {"login": email, "password": password, "csrfmiddlewaretoken": token}
    )
    conn.request(
        "POST",
        "/accounts/login/",
        body=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={csrf_cookie}",
        },
    )
    response = conn.getresponse()
    response.read()
    session = _cookies(response.getheaders()).get("sessionid")
    if response.status != 302 or not session:
        raise RuntimeError(f"login of {email} failed: HTTP {response.status}")
    return session


def api_token(port: int, email: str, password: str) -> str:
    conn = HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request(
        "POST",
        "/api/v1/auth/token/",
        body=json.dumps({"email": email, "password": password}),
        headers={"Content-Type": "application/json"},
    )
    response = conn.getresponse()
    data = json.loads(response.read())
    if response.status != 200:
        raise RuntimeError(f"token of {email} failed: HTTP {response.status} {data}")
    return data.get("token") or data["key"]


def wrk_binary() -> str | None:
    return shutil.which(os.environ.get("BENCH_WRK", "wrk"))


def run_wrk(url: str, header: str, *, duration: int, connections: int) -> dict[str, float]:
    out = subprocess.run(  # noqa: S603 - fixed argv, our own loopback URL
        [
            wrk_binary(),
            "-t2",
            f"-c{connections}",
            f"-d{duration}s",
            "--timeout",
            "10s",
            "-s",
            str(ROOT / "bench" / "report.lua"),
            "-H",
            header,
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    line = next(line for line in out.splitlines() if line.startswith("BENCH "))
    values = dict(item.split("=") for item in line.split()[1:])
    requests, seconds = int(values["requests"]), int(values["duration_us"]) / 1e6
    return {
        "rps": requests / seconds,
        "p50": int(values["p50"]) / 1000,
        "p95": int(values["p95"]) / 1000,
        "p99": int(values["p99"]) / 1000,
        "errors": int(values["errors"]),
    }


def percentile(values: list[float], share: float) -> float | None:
    """The nearest-rank percentile (``share`` 0.95 for p95) of the values, or None."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(math.ceil(share * len(ordered)) - 1, 0)]


def server_times(log_lines: list[str]) -> tuple[float | None, float | None]:
    """p50 and p95 in ms of the requests in these gunicorn access-log lines (``ACCESS_FORMAT``:
    microseconds first)."""
    times = [int(line.split()[0]) / 1000 for line in log_lines if line.strip()]
    return percentile(times, 0.50), percentile(times, 0.95)


ACCESS_FORMAT = "%(D)s %(s)s %(U)s"  # microseconds in the worker, status, path


def start_gunicorn(
    port: int, env: dict[str, str], *, workers: int = 2, access_log: Path | None = None
) -> subprocess.Popen:
    logging = (
        ["--access-logfile", str(access_log), "--access-logformat", ACCESS_FORMAT]
        if access_log is not None
        else []
    )
    process = subprocess.Popen(  # noqa: S603 - fixed argv from the venv
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "config.wsgi",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout",
            "120",
            "--log-level",
            "warning",
            *logging,
        ],
        cwd=ROOT,
        env={**os.environ, **env},
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except OSError:
            time.sleep(0.2)
            continue
        while len(worker_pids(process.pid)) < workers and time.monotonic() < deadline:
            time.sleep(0.1)
        return process
    process.terminate()
    raise RuntimeError("gunicorn did not start within 60 s")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=30)


def worker_pids(master: int) -> list[int]:
    """The gunicorn workers: the master's child processes (from /proc)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may hold spaces, so split after its ")"
        if int(stat.rpartition(")")[2].split()[1]) == master:
            pids.append(int(entry.name))
    return pids


def _proc_kb(pid: int, field_name: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(field_name + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class WorkerMemory:
    """Samples the resident memory (VmRSS) of a gunicorn master's workers every 20 ms in a
    background thread; ``peak_mb()`` is the largest worker seen since the last ``reset()``."""

    def __init__(self, master: int) -> None:
        self.master = master
        self.pids = worker_pids(master)
        self._peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "WorkerMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(0.02)

    def sample(self) -> int:
        current = max((_proc_kb(pid, "VmRSS") for pid in self.pids), default=0)
        self._peak = max(self._peak, current)
        return current

    def reset(self) -> None:
        self._peak = self.sample()

    def current_mb(self) -> float:
        return self.sample() / 1024

    def peak_mb(self) -> float:
        return max(self._peak, self.sample()) / 1024

    def high_water_mb(self) -> float:
        """VmHWM: the kernel's own peak resident memory of the largest worker."""
        return max((_proc_kb(pid, "VmHWM") for pid in self.pids), default=0) / 1024


def _sign_in(port: int, roles: set[str]) -> tuple[dict[str, str], dict[str, str]]:
    from dashboards.scale import BENCH_PASSWORD, bench_email

    sessions, tokens = {}, {}
    for role in sorted(roles):
        email = bench_email(role, 1)
        sessions[role] = http_session(port, email, BENCH_PASSWORD)
        tokens[role] = api_token(port, email, BENCH_PASSWORD)
    return sessions, tokens


def _header(page: Page, sessions: dict[str, str], tokens: dict[str, str]) -> str:
    if page.api:
        return f"Authorization: Token {tokens[page.role]}"
    return f"Cookie: sessionid={sessions[page.role]}"


def measure_load(
    results: list[Result], env: dict[str, str], *, duration: int, connections: int
) -> float:
    """wrk on every page; returns the peak resident memory (VmHWM) of a worker over the run."""
    port = free_port()
    access_log = Path(tempfile.mkdtemp(prefix="tb-bench-")) / "access.log"
    server = start_gunicorn(port, env, access_log=access_log)
    try:
        sessions, tokens = _sign_in(port, {r.page.role for r in results})
        with WorkerMemory(server.pid) as memory:
            for result in results:
                page = result.page
                header = _header(page, sessions, tokens)
                url = f"http://127.0.0.1:{port}{page.path}"
                memory.reset()
                run_wrk(url, header, duration=1, connections=connections)  # warm-up
                start = access_log.stat().st_size if access_log.exists() else 0
                stats = run_wrk(url, header, duration=duration, connections=connections)
                with access_log.open() as log:
                    log.seek(start)
                    result.server_p50, result.server_p95 = server_times(log.readlines())
                result.rps, result.p50, result.p95, result.p99 = (
                    stats["rps"],
                    stats["p50"],
                    stats["p95"],
                    stats["p99"],
                )
                result.errors = int(stats["errors"])
                result.worker_mb = memory.peak_mb()
                print(
                    f"  {page.label}: {result.rps:.1f} req/s, p95 {result.p95:.1f} ms "
                    f"(server {_fmt(result.server_p95)} ms), worker {result.worker_mb:.0f} MB",
                    flush=True,
                )
            return memory.high_water_mb()
    finally:
        stop(server)
        shutil.rmtree(access_log.parent, ignore_errors=True)


def download(port: int, page: Page, session: str) -> tuple[int, int, int, float]:
    """GET a CSV over HTTP, reading it as it streams; (status, rows, bytes, seconds)."""
    conn = HTTPConnection("127.0.0.1", port, timeout=600)
    started = time.perf_counter()
    conn.request("GET", page.path, headers={"Cookie": f"sessionid={session}"})
    response = conn.getresponse()
    rows = size = 0
    while chunk := response.read(64 * 1024):
        size += len(chunk)
        rows += chunk.count(b"\n")
    return response.status, max(rows - 1, 0), size, time.perf_counter() - started


def measure_exports(export_list: list[Page], env: dict[str, str]) -> list[ExportResult]:
    """Each export from a fresh one-worker gunicorn: sign in, warm the worker up on a page of
    the same role, then download the export while sampling the worker's memory."""
    warm_up = {"coordinator": "/", "finance": "/payments/invoices/"}
    results = []
    for page in export_list:
        result = ExportResult(page)
        port = free_port()
        server = start_gunicorn(port, env, workers=1)
        try:
            sessions, _ = _sign_in(port, {page.role})
            with WorkerMemory(server.pid) as memory:
                warm = Page("warm-up", page.role, warm_up.get(page.role, "/"))
                for _ in range(3):
                    download(port, warm, sessions[page.role])
                result.before_mb = memory.current_mb()
                memory.reset()
                result.status, result.rows, size, result.seconds = download(
                    port, page, sessions[page.role]
                )
                result.megabytes = size / 1e6
                result.peak_mb = memory.peak_mb()
        finally:
            stop(server)
        print(
            f"  {page.label}: {result.rows} rows, {result.megabytes:.2f} MB, worker "
            f"{result.before_mb:.0f} → {result.peak_mb:.0f} MB",
            flush=True,
        )
        results.append(result)
    return results


# --- report -------------------------------------------------------------------------------------


def header_lines(scale: float, *, loaded: bool, counts: dict[str, int] | None = None) -> str:
    git = ["git", "rev-parse", "--short", "HEAD"]
    commit = subprocess.run(git, cwd=ROOT, capture_output=True, text=True).stdout.strip()  # noqa: S603, S607
    dirty = ["git", "status", "--porcelain", "--untracked-files=no"]
    if commit and subprocess.run(dirty, cwd=ROOT, capture_output=True, text=True).stdout.strip():  # noqa: S603, S607
        commit += " (+ uncommitted changes)"
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    load = "wrk, gunicorn 2 workers" if loaded else "no load run (wrk not used)"
    memory = ""
    try:
        total_kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {total_kb / 1024 / 1024:.0f} GB RAM"
    except (OSError, ValueError, IndexError):
        pass
    rows = ""
    if counts:
        rows = " (" + ", ".join(f"{n:,} {label}" for label, n in counts.items()) + ")"
    return (
        f"- date: {when}\n- commit: {commit or 'unknown'}\n"
        f"- machine: {os.cpu_count()} cores, {platform.machine()}{memory}, Python "
        f"{platform.python_version()}\n- data set: seed_scale --scale {scale}{rows}\n"
        f"- load: {load}\n"
    )


def _clear_cache() -> None:
    """The bench's own Redis database starts empty: nothing cached from an earlier data set."""
    from django.core.cache import cache

    try:
        cache.clear()
    except Exception as exc:  # noqa: BLE001 - a cache that is down only loses the warning
        print(
            f"Could not clear the bench cache ({exc}); cached values may be stale.", file=sys.stderr
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.01)
    parser.add_argument("--duration", type=int, default=5, help="seconds of load per page")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--out", default="", help="also write the report to this file")
    parser.add_argument("--no-load", action="store_true", help="no HTTP: queries and sweeps")
    parser.add_argument("--no-sweeps", action="store_true", help="skip the periodic tasks")
    parser.add_argument("--only", default="", help="only pages whose label matches this regex")
    args = parser.parse_args(argv)

    env = bench_env(
        os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/tb_bench"),
        os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/10"),
    )
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command

    from accounts.models import Organization
    from dashboards.scale import CROS

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    _clear_cache()
    if not Organization.objects.filter(name__in=CROS).exists():
        call_command("seed_scale", scale=args.scale)

    page_list = [p for p in pages() if re.search(args.only, p.label) or p.label == FLOOR]
    print("Counting SQL queries per page…", flush=True)
    counts = count_queries(page_list, signed_in_clients())
    results = [Result(p, *counts[p.label]) for p in page_list]

    sweeps: list[SweepResult] = []
    if not args.no_sweeps:
        print("Periodic tasks (each twice, in a rolled-back transaction)…", flush=True)
        sweeps = measure_sweeps(env)

    loaded, high_water, export_results = False, None, []
    if not args.no_load:
        if wrk_binary() is None:
            print(
                "wrk is not installed: page timing skipped. Install the Debian package "
                "(sudo apt-get install -y wrk) and run make bench again.",
                file=sys.stderr,
            )
        else:
            print("Loading each page with wrk…", flush=True)
            high_water = measure_load(
                results, env, duration=args.duration, connections=args.connections
            )
            loaded = True
        print("CSV exports (fresh one-worker gunicorn each)…", flush=True)
        export_results = measure_exports(exports(), env)

    report = header_lines(args.scale, loaded=loaded, counts=data_set_counts())
    if high_water is not None:
        report += f"- peak worker memory over the page load (VmHWM): {high_water:.0f} MB\n"
    report += "\n## Pages and API lists\n\n" + format_table(results)
    if export_results:
        report += "\n## CSV exports: worker memory while streaming\n\n"
        report += format_exports(export_results)
    if sweeps:
        report += "\n## Periodic tasks (reminder sweeps) over the bench data\n\n"
        report += format_sweeps(sweeps)
    print(report)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
