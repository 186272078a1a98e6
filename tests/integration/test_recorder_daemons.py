"""The recorder on real daemons: a request sent to the snapshot server, and the daemon's own tasks.

A request test reads the snapshot server's request log (the second daemon in
its directory in snaplab/daemons); the task test gives a throwaway container a schedule that
fires every minute and an expiry of 30 seconds, and waits for the scheduler to make a
snapshot and the pruner to delete it: about two minutes (the task runs once a minute),
LXD and Incus side by side (on two xdist workers). The recorder is started as `start` starts it, with a
Record made here, and its journal lives under a temporary XDG_STATE_HOME.
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
from snaplab.lab.model import Record, Request, Task

pytestmark = pytest.mark.integration

PREFIX = "rec2-test-"
SCHEDULER = Task("scheduler", "Snapshotting instance", "instance-snapshot-created")
PRUNER = Task("pruner", "Cleaning up expired instance snapshots", "instance-snapshot-deleted")


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


@pytest.mark.parametrize("backend", NAMES)
def test_the_daemons_scheduled_snapshot_and_its_pruning_are_recorded_as_the_daemons(backend, state):
    """A snapshot the scheduler made, named by the pattern, then pruned when it expired."""
    name = f"{PREFIX}sched-{backend}-{uuid.uuid4().hex[:6]}"
    session = Session("rec2", backend, "default", name)
    record = Record(
        events=("instance-snapshot-created", "instance-snapshot-deleted"),
        tasks=(SCHEDULER, PRUNER),
    )
    began = time.monotonic()
    pid = 0
    try:
        cli(backend, "init", "snaplab-lab", name, "--quiet")  # stopped: a small, quick copy
        pid = spawn(session, record)
        take = ("snapshot",) if backend == "lxd" else ("snapshot", "create")
        cli(backend, *take, name, "mine")  # a learner's, before any schedule
        for key, value in (
            ("snapshots.schedule", "* * * * *"),
            ("snapshots.schedule.stopped", "true"),
            ("snapshots.pattern", "auto-{{ creation_date|date:'15-04-05' }}"),
            ("snapshots.expiry", "30S"),  # pruned at the next run, a minute on
        ):
            cli(backend, "config", "set", name, key, value)

        def pruned(es: list[Entry]) -> bool:
            made = {e.snapshot for e in es if e.action == SCHEDULER.action and e.by == "scheduler"}
            return any(e.by == "pruner" and e.snapshot in made for e in es)

        entries = wait_for(session, pruned, 200)
        events = [e for e in entries if e.kind == "event"]
        mine = [e for e in events if e.snapshot == "mine"]
        assert mine[0].action == SCHEDULER.action and mine[0].by == "", mine
        made = [e for e in events if e.by == "scheduler"]
        assert all(e.action == SCHEDULER.action for e in made), made
        assert made[0].snapshot.startswith("auto-"), made  # named by the pattern
        gone = [e for e in events if e.by == "pruner"]
        assert all(e.action == PRUNER.action for e in gone), gone
        first = next(e for e in gone if e.snapshot == made[0].snapshot)
        assert first.when > made[0].when and made[0].snapshot in made[0].snapshots
        print(
            f"{backend}: ok in {time.monotonic() - began:.0f} s: "
            + ", ".join(
                f"{e.action.rsplit('-', 1)[-1]} {e.snapshot} by {e.by or 'learner'}" for e in events
            )
        )
    finally:
        if pid:
            recorder.terminate(pid)
        subprocess.run(
            [get_backend(backend).cli, "delete", "--force", name], capture_output=True, cwd="/"
        )
