"""``make bench`` (``python -m bench.run``): measure the main pages and API lists over real HTTP.

1. Migrates the bench database and builds the bench data set when it is not there yet
   (``seed_scale --scale``).
2. Counts the SQL queries of one request to each page with Django's test client (not under
   load).
3. Starts gunicorn (config.wsgi, 2 workers, bench settings) on a free loopback port, signs in
   each role over HTTP (allauth login form for pages, ``POST /api/v1/auth/token/`` for the API)
   and loads every page with wrk (Debian package ``wrk``), then Django's floor view.
4. Prints the markdown table and writes it to ``--out``.

Without wrk (``--no-load``, or wrk missing) steps 3 and the timing columns are skipped.
"""

import argparse
import json
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
from dataclasses import dataclass
from datetime import UTC, datetime
from http.client import HTTPConnection
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLOOR = "Django floor (1 query, tiny template)"


@dataclass(frozen=True)
class Page:
    label: str
    role: str  # the bench login: coordinator, cra, finance
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


def pages() -> list[Page]:
    """The measured pages, resolved against the bench data (needs Django set up)."""
    from dashboards.scale import bench_email
    from trials.models import StudySite

    coordinator_site = (
        StudySite.objects.filter(site__memberships__user__email=bench_email("coordinator", 1))
        .order_by("pk")
        .first()
    )
    rows = [
        Page("coordinator dashboard", "coordinator", "/"),
        Page("coordinator inbox", "coordinator", "/inbox/"),
        Page("coordinator query list", "coordinator", "/queries/"),
        Page("CRA dashboard", "cra", "/"),
        Page("CRA monitoring visit list", "cra", "/monitoring/visits/"),
        Page("CRA query list", "cra", "/queries/"),
        Page("finance dashboard", "finance", "/"),
        Page("finance invoice list", "finance", "/payments/invoices/"),
        Page("API subjects", "cra", "/api/v1/subjects/", api=True),
        Page("API subject visits", "cra", "/api/v1/subject-visits/", api=True),
        Page("API data queries", "cra", "/api/v1/data-queries/", api=True),
        Page("API studies", "coordinator", "/api/v1/studies/", api=True),
    ]
    if coordinator_site is not None:
        rows.insert(
            2,
            Page(
                "coordinator enrollment log",
                "coordinator",
                f"/study-sites/{coordinator_site.pk}/enrollment/",
            ),
        )
    return [*rows, Page(FLOOR, "coordinator", "/bench/floor/")]


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
    for role in ("coordinator", "cra", "finance"):
        client = Client()
        client.force_login(User.objects.get(email=bench_email(role, 1)))
        clients[role] = client
    return clients


def _fmt(value: float | int | None, digits: int = 1) -> str:
    if value is None:
        return "–"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def format_table(results: list[Result]) -> str:
    """The markdown table: one row per page, with the throughput ratio to the floor row."""
    floor = next((r for r in results if r.page.label == FLOOR), None)
    floor_rps = floor.rps if floor is not None else None
    lines = [
        "| page | role | path | status | queries | req/s | p50 ms | p95 ms | p99 ms "
        "| ratio to floor | errors |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        ratio = r.rps / floor_rps if r.rps is not None and floor_rps else None
        lines.append(
            f"| {r.page.label} | {r.page.role} | `{r.page.path}` | {_fmt(r.status)} "
            f"| {_fmt(r.queries)} | {_fmt(r.rps)} | {_fmt(r.p50)} | {_fmt(r.p95)} "
            f"| {_fmt(r.p99)} | {_fmt(ratio, 2)} | {r.errors} |"
        )
    return "\n".join(lines) + "\n"


# --- load over HTTP ----------------------------------------------------------------------------


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
    conn = HTTPConnection("127.0.0.1", port, timeout=30)
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
    conn = HTTPConnection("127.0.0.1", port, timeout=30)
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


def run_wrk(url: str, header: str, *, duration: int, connections: int) -> dict[str, float]:
    out = subprocess.run(  # noqa: S603 - fixed argv, our own loopback URL
        [  # noqa: S607 - wrk from the Debian package, found on PATH
            "wrk",
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


def start_gunicorn(port: int, env: dict[str, str]) -> subprocess.Popen:
    process = subprocess.Popen(  # noqa: S603 - fixed argv from the venv
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "config.wsgi",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env={**os.environ, **env},
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise RuntimeError("gunicorn did not start within 30 s")


def measure_load(
    results: list[Result], env: dict[str, str], *, duration: int, connections: int
) -> None:
    from dashboards.scale import BENCH_PASSWORD, bench_email

    port = free_port()
    server = start_gunicorn(port, env)
    try:
        sessions, tokens = {}, {}
        for role in {r.page.role for r in results}:
            email = bench_email(role, 1)
            sessions[role] = http_session(port, email, BENCH_PASSWORD)
            tokens[role] = api_token(port, email, BENCH_PASSWORD)
        for result in results:
            page = result.page
            header = (
                f"Authorization: Token {tokens[page.role]}"
                if page.api
                else f"Cookie: sessionid={sessions[page.role]}"
            )
            url = f"http://127.0.0.1:{port}{page.path}"
            run_wrk(url, header, duration=1, connections=connections)  # warm-up
            stats = run_wrk(url, header, duration=duration, connections=connections)
            result.rps, result.p50, result.p95, result.p99 = (
                stats["rps"],
                stats["p50"],
                stats["p95"],
                stats["p99"],
            )
            result.errors = int(stats["errors"])
            print(f"  {page.label}: {result.rps:.1f} req/s, p95 {result.p95:.1f} ms", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)


def header_lines(scale: float, *, loaded: bool) -> str:
    git = ["git", "rev-parse", "--short", "HEAD"]
    commit = subprocess.run(git, cwd=ROOT, capture_output=True, text=True).stdout.strip()  # noqa: S603
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    load = "wrk, gunicorn 2 workers" if loaded else "no load run (wrk not used)"
    return (
        f"- date: {when}\n- commit: {commit or 'unknown'}\n"
        f"- machine: {os.cpu_count()} cores, {platform.machine()}, Python "
        f"{platform.python_version()}\n- data set: seed_scale --scale {scale}\n- load: {load}\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.01)
    parser.add_argument("--duration", type=int, default=5, help="seconds of load per page")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--out", default="", help="also write the report to this file")
    parser.add_argument("--no-load", action="store_true", help="only count queries")
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
    if not Organization.objects.filter(name__in=CROS).exists():
        call_command("seed_scale", scale=args.scale)

    page_list = pages()
    counts = count_queries(page_list, signed_in_clients())
    results = [Result(p, *counts[p.label]) for p in page_list]

    loaded = False
    if not args.no_load:
        if shutil.which("wrk") is None:
            print(
                "wrk is not installed: timing columns skipped. Install the Debian package "
                "(sudo apt-get install -y wrk) and run make bench again.",
                file=sys.stderr,
            )
        else:
            measure_load(results, env, duration=args.duration, connections=args.connections)
            loaded = True

    report = header_lines(args.scale, loaded=loaded) + "\n" + format_table(results)
    print(report)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
