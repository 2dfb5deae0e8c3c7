"""`make test`: pytest against real PostgreSQL and Redis; pytest's exit code is ours.

Uses DATABASE_URL / REDIS_URL when set, else embedded services (devtools.services), which
are stopped afterwards unless another devtools process (say `make run`) still uses them.
Arguments are passed to pytest: `python -m devtools.test -k audit -x`.
"""

# ruff: noqa: S603  (a launcher: it runs fixed commands, never untrusted input)
from __future__ import annotations

import os
import signal
import subprocess
import sys

from devtools.services import ROOT, running


def main(argv: list[str]) -> int:
    with running() as urls:
        env = {**os.environ, **urls}
        env.setdefault("DJANGO_TESTING", "true")
        proc = subprocess.Popen([sys.executable, "-m", "pytest", *argv], cwd=ROOT, env=env)
        # Like a shell: Ctrl-C reaches pytest directly (same process group) and pytest decides;
        # SIGTERM is passed on. Either way we wait, then stop the services.
        signal.signal(signal.SIGINT, lambda *_: None)
        signal.signal(signal.SIGTERM, lambda signum, _: proc.send_signal(signum))
        code = proc.wait()
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    return code if code >= 0 else 128 - code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
