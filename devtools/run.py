"""`make run`: the whole app on this machine (web, Celery worker, Celery beat) until Ctrl-C.

Uses DATABASE_URL / REDIS_URL when set, else embedded PostgreSQL and Redis (devtools.services).
Migrates, loads the demo data, then runs the three processes, each in its own process group,
and on Ctrl-C or SIGTERM stops them and every embedded service it started. PORT (default
8000) sets the web port.
"""

# ruff: noqa: S603  (a launcher: it runs fixed commands, never untrusted input)
from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time

from devtools.services import ROOT, running, say

STOP_TIMEOUT = 15.0
_output_lock = threading.Lock()


class Child:
    """A long-running process whose output lines are prefixed with its name."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str]) -> None:
        self.name = name
        self.proc = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            start_new_session=True,  # Ctrl-C reaches us only; we stop the group ourselves
        )
        self.pump = threading.Thread(target=self._pump, daemon=True)
        self.pump.start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:  # keep draining even if our stdout has gone
            with _output_lock, contextlib.suppress(OSError):
                sys.stdout.write(f"{self.name:>6} | {line}")
                sys.stdout.flush()

    def signal_group(self, sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, sig)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _listening(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
        return True
    return False


def _supervise(children: list[Child], port: int) -> int:
    """Wait until a child exits (then return non-zero); announce the URL once it answers."""
    announced = False
    while True:
        for child in children:
            code = child.proc.poll()
            if code is not None:
                say(f"{child.name} exited with code {code}; stopping everything")
                return code or 1
        if not announced and _listening(port):
            announced = True
            say(f"TrialBridge is running at http://127.0.0.1:{port}/")
            say("demo logins: see seed_demo's output above. Press Ctrl-C to stop.")
        time.sleep(0.5)


def _stop(children: list[Child]) -> None:
    """SIGINT every process group (as Ctrl-C in a terminal would), then SIGKILL what is left."""
    for child in children:
        if child.proc.poll() is None:
            child.signal_group(signal.SIGINT)
    deadline = time.monotonic() + STOP_TIMEOUT
    for child in children:
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.proc.wait(max(0.0, deadline - time.monotonic()))
    for child in children:
        child.signal_group(signal.SIGKILL)  # stragglers: reloader or pool processes
        child.proc.wait()
        child.pump.join(2)


def main() -> int:
    # Also SIGINT: a shell without job control starts background jobs with SIGINT ignored,
    # which our children would inherit.
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _interrupt)
    port = int(os.environ.get("PORT", "8000"))
    if _listening(port):
        say(f"port {port} is already in use; stop what uses it or run with PORT=<another port>")
        return 1
    children: list[Child] = []
    try:
        with running() as urls:
            try:
                env = {**os.environ, **urls, "PYTHONUNBUFFERED": "1"}
                env.setdefault("DJANGO_DEBUG", "true")
                manage = [sys.executable, "manage.py"]
                subprocess.run([*manage, "migrate", "--noinput"], cwd=ROOT, env=env, check=True)
                subprocess.run([*manage, "seed_demo"], cwd=ROOT, env=env, check=True)
                celery = [sys.executable, "-m", "celery", "-A", "config"]
                children.append(Child("web", [*manage, "runserver", f"127.0.0.1:{port}"], env))
                children.append(
                    Child("worker", [*celery, "worker", "-l", "INFO", "--concurrency", "2"], env)
                )
                children.append(Child("beat", [*celery, "beat", "-l", "INFO"], env))
                return _supervise(children, port)
            finally:
                # Stop cleanly even if Ctrl-C is pressed again.
                for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
                    signal.signal(sig, signal.SIG_IGN)
                say("stopping")
                _stop(children)
    except KeyboardInterrupt:
        return 0
    except subprocess.CalledProcessError as exc:
        say(f"{' '.join(exc.cmd[1:])} failed with code {exc.returncode}")
        return exc.returncode


if __name__ == "__main__":
    sys.exit(main())
