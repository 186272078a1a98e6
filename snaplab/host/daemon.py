"""Starting and stopping the daemons on a machine with no init system.

snaplab writes a pid file only for a daemon it started itself, so `host stop`
never stops a daemon somebody else runs.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from snaplab.backends import Backend
from snaplab.transports.local import socket_problem

RUN_DIR = Path("/run/snaplab")
LOG_DIR = Path("/var/log/snaplab")


def pidfile(backend: Backend) -> Path:
    return RUN_DIR / f"{backend.name}.pid"


def answering(backend: Backend) -> bool:
    return socket_problem(backend) is None


def start(backend: Backend, timeout: int = 60) -> bool:
    """Start the daemon when none answers; True when this call started it."""
    if answering(backend):
        return False
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    log = open(LOG_DIR / f"{backend.name}.log", "ab")
    proc = subprocess.Popen(
        list(backend.daemon),
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    pidfile(backend).write_text(f"{proc.pid}\n")
    subprocess.run([*backend.waitready, str(timeout)], check=True, capture_output=True)
    return True


def stop(backend: Backend, timeout: int = 60) -> bool:
    """Stop the daemon only if snaplab started it; True when it stopped one."""
    path = pidfile(backend)
    if not path.exists():
        return False
    pid = int(path.read_text().strip() or 0)
    if pid and _alive(pid):
        subprocess.run([*backend.shutdown, str(timeout)], capture_output=True)
        deadline = time.monotonic() + timeout
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)
    path.unlink(missing_ok=True)
    return True


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie child of ours still "exists"; reap it if it is ours
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
        return done == 0
    except ChildProcessError:
        return Path(f"/proc/{pid}").exists() and "zombie" not in _state(pid)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/status").read_text().lower()
    except OSError:
        return "zombie"
