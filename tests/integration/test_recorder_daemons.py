"""The recorder on real daemons: a request sent to the snapshot server.

The test reads the snapshot server's request log (the second daemon in its directory in
snaplab/daemons). The recorder is started as `start` starts it, with a Record made here, and
its journal lives under a temporary XDG_STATE_HOME. The daemon's own tasks (its scheduler's
snapshot, its pruner's deletion) are seen recorded as theirs where chapter 9 waits for them
anyway (tests/integration/test_snapshot_server_lab.py `by_whom`).
"""

from __future__ import annotations

import subprocess
import time
import uuid
from collections.abc import Callable

import pytest

from snaplab.backends import NAMES, get_backend
from snaplab.daemons.snapshot_server import SNAPSHOT_SERVER as SERVER
from snaplab.host import daemon, snapshot_server
from snaplab.lab import recorder
from snaplab.lab.journal import Entry, Session
from snaplab.lab.model import Record, Request

pytestmark = pytest.mark.integration

PREFIX = "rec2-test-"


def cli(backend: str, *args: str, server: bool = False) -> str:
    b = get_backend(backend)
    home = SERVER.home(b) if server else None
    done = subprocess.run(
        [b.cli, *args], capture_output=True, text=True, env=daemon.env(b, home), cwd="/"
    )
    if done.returncode != 0 and not server:
        raise AssertionError(f"{b.cli} {' '.join(args)}: {done.stderr}")
    return done.stdout


def wait_for(
    session: Session, found: Callable[[list[Entry]], bool], timeout: float, poke=None
) -> list[Entry]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        entries = session.entries()
        if found(entries):
            return entries
        if poke:
            poke()
        time.sleep(0.5)
    raise AssertionError(f"not recorded within {timeout} s: {session.entries()}")


@pytest.fixture
def state(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))  # the recorder inherits it
    return tmp_path


def spawn(session: Session, record: Record) -> int:
    return recorder.spawn_many([session], record, session.dir, timeout=20)


@pytest.mark.parametrize("backend", NAMES)
def test_a_request_to_the_snapshot_server_is_recorded(backend, state):
    b = get_backend(backend)
    if not snapshot_server.answering(b):
        pytest.skip(f"no snapshot server in {SERVER.home(b)}")
    name = f"{PREFIX}{uuid.uuid4().hex[:6]}"  # never made: `info` of a missing copy is logged too
    session = Session("rec2", backend, "default", name)
    record = Record(
        requests=(
            Request("copies-listed", "GET", "/1.0/instances", "recursion=2", "snapshot-server"),
            Request("copy-read", "GET", "/1.0/instances/{instance}", "", "snapshot-server"),
        ),
        sockets=(("snapshot-server", str(snapshot_server.socket(b))),),
    )
    began = time.monotonic()
    pid = spawn(session, record)
    try:
        # `lxc list` on the primary sends the same request: it must not count
        cli(backend, "list", "--format", "csv")
        # the snapshot server's log is read from a thread of its own: ask until it is heard
        entries = wait_for(
            session,
            lambda es: any(e.action == "copies-listed" for e in es),
            30,
            lambda: cli(backend, "list", "--format", "csv", server=True),
        )
        listed = [e for e in entries if e.action == "copies-listed"]
        assert listed[0].kind == "event"
        cli(backend, "list", "--format", "csv")
        cli(backend, "info", name, server=True)  # not there: the daemon logs the GET anyway
        entries = wait_for(session, lambda es: any(e.action == "copy-read" for e in es), 15)
        time.sleep(1)  # the primary's list, had it counted, would be written by now
        assert len([e for e in session.entries() if e.action == "copies-listed"]) == len(
            [e for e in entries if e.action == "copies-listed"]
        )
        print(f"{backend}: recorded in {time.monotonic() - began:.1f} s")
    finally:
        recorder.terminate(pid)
