"""Debian's cron, for chapter 10's nightly `copy --refresh` to the snapshot server.

There is no init system here, so nothing starts cron at boot or after
installing it. `host setup --snapshot-server` starts `/usr/sbin/cron` when no
cron runs, and writes down the pid of the one it started in /run/snaplab/cron.pid.
`host stop` (for all backends) stops that one only: a cron somebody else
started keeps running, like a daemon snaplab did not start. Without the
daemons a refresh job has nothing to do, and `host setup` starts cron again.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from snaplab.host import daemon

CRON = Path("/usr/sbin/cron")
PACKAGE = "cron"
CRON_PIDFILE = Path("/run/crond.pid")  # where Debian's cron writes its own pid


def pidfile() -> Path:
    return daemon.RUN_DIR / "cron.pid"


def _is_cron(pid: int) -> bool:
    try:
        exe = os.readlink(f"/proc/{pid}/exe")
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return exe == str(CRON) and state != "Z"


def running() -> int | None:
    """The pid of a running cron (anyone's), or None."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and _is_cron(int(entry.name)):
            return int(entry.name)
    return None


def start(timeout: float = 10) -> bool:
    """Start cron unless one runs; True when this call started it."""
    if running():
        return False
    # cron forks into the background itself and writes /run/crond.pid
    subprocess.run([str(CRON)], check=True, capture_output=True, stdin=subprocess.DEVNULL, cwd="/")
    deadline = time.monotonic() + timeout
    pid = running()
    while pid is None and time.monotonic() < deadline:
        time.sleep(0.05)
        pid = running()
    if pid is None:
        raise OSError(f"{CRON} did not stay up")
    daemon.RUN_DIR.mkdir(parents=True, exist_ok=True)
    pidfile().write_text(f"{pid}\n")
    return True


def stop(timeout: float = 10) -> bool:
    """Stop the cron snaplab started, if it still runs; True when it stopped one."""
    path = pidfile()
    if not path.exists():
        return False
    pid = int(path.read_text().strip() or 0)
    stopped = False
    if pid and _is_cron(pid):  # a pid reused by something else is left alone
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while _is_cron(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if _is_cron(pid):
            os.kill(pid, signal.SIGKILL)
        stopped = True
    path.unlink(missing_ok=True)
    return stopped
