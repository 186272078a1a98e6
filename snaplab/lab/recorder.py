"""The recorder: a small background process that writes lifecycle events to the journal.

`snaplab start` launches it; `check` restarts it if it died (and says that
evidence from the gap may be missing); `finish` stops it. What it writes down is
the lab's `record` (labs/<id>/lab.yaml). It is a process of its own so that
events are heard while no snaplab command runs; this module starts, finds (by its
command line) and stops that process (snaplab/lab/recorderd.py), and keeps the pid
files that say which sessions it serves. What an event means is in
entries, how the stream is read in stream, and how a script waits for it in
pacing. The spec it is started with is the sessions and the lab's Record, with
the sockets of the other daemons its requests name (runner.record_for): the
recorder itself knows no daemon but the session's.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from snaplab.errors import ExitCode, SnaplabError
from snaplab.i18n import both
from snaplab.lab.journal import Session
from snaplab.lab.model import Record

PROCESS = "snaplab.lab.recorderd"  # what `python -m` runs: snaplab/lab/recorderd.py


def pidfile(session: Session) -> Path:
    return session.pidfile


def serves(session: Session, pid: int) -> bool:
    try:
        return int(pidfile(session).read_text()) == pid
    except (OSError, ValueError):
        return False


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _pid(session: Session) -> int:
    try:
        return int(pidfile(session).read_text())
    except (OSError, ValueError):
        return 0


def is_recorder(pid: int) -> bool:
    """A pid file can outlive its process, and the pid be reused: ask the process itself."""
    # a prefix of PROCESS: it also finds a recorder that snaplab started as snaplab.lab.recorder
    return pid > 0 and b"snaplab.lab.recorder" in _cmdline(pid)


def alive(session: Session) -> bool:
    return is_recorder(_pid(session))


def terminate(pid: int, wait: float = 5.0) -> None:
    """Ask it to end, and see it end: `finish` says the recording stopped, so it has.

    It may be mid-probe (each read waits up to PROBE_TIMEOUT): give it that, then kill it.
    """
    if not is_recorder(pid):
        return
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return  # it ended between the look and the kill
    deadline = time.monotonic() + wait
    while is_recorder(pid):
        if time.monotonic() > deadline:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            return
        time.sleep(0.02)


# seconds a new recorder may take to listen: it imports pylxd and opens a stream per daemon,
# a second or so on an idle machine, but CI saw over 10 s with both cores busy. It returns as
# soon as the recorder listens, and at once when the recorder exits (a refused host).
LISTEN_WAIT = 60.0


def spawn(session: Session, record: Record, timeout: float = LISTEN_WAIT) -> None:
    """Start the recorder detached from the terminal and wait until it listens."""
    spawn_many([session], record, session.dir, timeout)


def spawn_many(
    sessions: list[Session],
    record: Record,
    where: Path,
    timeout: float = LISTEN_WAIT,
    shared: bool = False,
) -> int:
    """One recorder for sessions on one daemon (one backend, one URL); returns its pid.

    Each session's pid file names it: that is how `check` knows the session is
    recorded, and how the recorder knows a session is still its own. A shared
    recorder (a class's) listens to all projects and is not stopped by one
    session's `finish`; its spec and log live in `where`.
    """
    first = sessions[0]
    if any((s.backend, s.url) != (first.backend, first.url) for s in sessions):
        raise ValueError("one recorder listens to one daemon")
    before = {s: len(s.entries()) for s in sessions}
    spec = where / "recorder-sessions.json"
    spec.write_text(
        json.dumps({"record": record.to_dict(), "sessions": [s.to_dict() for s in sessions]})
    )
    log = open(where / "recorder.log", "ab")
    argv = [sys.executable, "-m", PROCESS, "--sessions", str(spec)]
    if shared:
        argv.append("--shared")
    proc = subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=log,
        start_new_session=True,
        env=os.environ.copy(),
    )
    for s in sessions:
        pidfile(s).write_text(str(proc.pid))
    waiting = set(sessions)
    deadline = time.monotonic() + timeout
    # the primary's stream, and each other daemon's request log the lab reads: a scripted
    # learner's first command may follow at once
    streams = 1 + sum(1 for d in record.other_daemons if record.socket(d))
    while time.monotonic() < deadline and waiting:
        waiting = {
            s
            for s in waiting
            if sum(e.kind == "recorder" for e in s.entries()[before[s] :]) < streams
        }
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    if waiting:  # it never listened: stop it, or it retries forever with nobody to stop it
        slow = proc.poll() is None  # its log's last line would be our own terminate's doing
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        for s in sessions:
            if serves(s, proc.pid):
                pidfile(s).unlink(missing_ok=True)
        last = _last_line(where / "recorder.log")
        if slow:
            last = f"it was not listening after {timeout:.0f} s (is the machine very busy?)"
        raise SnaplabError(
            both(
                f"the event recorder did not start: {last} (see {where}/recorder.log)",
                f"이벤트 기록기가 시작되지 않았습니다: {last} ({where}/recorder.log 참고)",
            ),
            ExitCode.DAEMON_DOWN,
        )
    return proc.pid


def _last_line(log: Path) -> str:
    try:
        lines = log.read_text(errors="replace").strip().splitlines()
    except OSError:
        return "no log"
    return lines[-1].split(" recorder: ", 1)[-1] if lines else "no log"


def stop(session: Session) -> None:
    """Stop the session's recorder; one that serves other sessions too just lets this one go."""
    pid = _pid(session)
    if b"--shared" not in _cmdline(pid):
        terminate(pid)
    pidfile(session).unlink(missing_ok=True)
