"""Starting and stopping the daemons on a machine with no init system.

snaplab writes a pid file only for a daemon it started itself, so `host stop`
never stops a daemon somebody else runs.

A daemon is the main one of its backend (its socket honours LXD_DIR /
INCUS_DIR, as the CLIs do), or, given `home`, a second daemon of the same kind
in that directory (the snapshot server); `key` then names its pid file and log.
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


def pidfile(backend: Backend, key: str | None = None) -> Path:
    return RUN_DIR / f"{key or backend.name}.pid"


def socket(backend: Backend, home: Path | None = None) -> Path:
    return home / "unix.socket" if home else backend.socket


def env(backend: Backend, home: Path | None = None) -> dict[str, str]:
    """The environment that points the daemon and its CLI at `home` (else as inherited)."""
    return {**os.environ, backend.env_dir: str(home)} if home else dict(os.environ)


def answering(backend: Backend, home: Path | None = None) -> bool:
    return socket_problem(backend, socket(backend, home)) is None


def start(
    backend: Backend, timeout: int = 60, home: Path | None = None, key: str | None = None
) -> bool:
    """Start the daemon when none answers; True when this call started it."""
    if answering(backend, home):
        return False
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    if home:
        # like /var/lib/lxd: others may pass through to the socket, not list or read
        home.mkdir(mode=0o711, parents=True, exist_ok=True)
        home.chmod(0o711)
    log = open(LOG_DIR / f"{key or backend.name}.log", "ab")
    proc = subprocess.Popen(
        list(backend.daemon),
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env(backend, home),
        cwd="/",
        start_new_session=True,
    )
    pidfile(backend, key).write_text(f"{proc.pid}\n")
    subprocess.run(
        [*backend.waitready, str(timeout)],
        check=True,
        capture_output=True,
        env=env(backend, home),
    )
    return True


def stop(
    backend: Backend, timeout: int = 60, home: Path | None = None, key: str | None = None
) -> bool:
    """Stop the daemon only if snaplab started it; True when it stopped one."""
    path = pidfile(backend, key)
    if not path.exists():
        return False
    pid = int(path.read_text().strip() or 0)
    if pid and _alive(pid):
        subprocess.run(
            [*backend.shutdown, str(timeout)], capture_output=True, env=env(backend, home)
        )
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
