"""The recorder's fan-out: each event reaches only the sessions it can concern. No daemon."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from snaplab.lab import stream
from snaplab.lab.entries import concerns, entry_for
from snaplab.lab.journal import Session
from tests.unit.test_recorder_daemons import RECORD, lifecycle, logged, operation

MINE = Session("server", "lxd", "ko101-s01", "web")
THEIRS = Session("server", "lxd", "ko101-s02", "web")


def in_project(event: dict, project: str) -> dict:
    return {**event, "project": project}


def exec_ended(project: str) -> dict:
    event = operation(
        "op1", "Executing command", "Success", 5, [f"/1.0/instances/web?project={project}"]
    )
    event["project"] = project
    event["metadata"] |= {"class": "websocket", "metadata": {"command": ["bash"]}}
    return event


EVENTS = {
    "lifecycle": in_project(lifecycle("instance-snapshot-created", "snap0", 1), MINE.project),
    "request": logged(f"/1.0/instances/web?project={MINE.project}&recursion=1"),
    "exec": exec_ended(MINE.project),
}


@pytest.mark.parametrize("kind", sorted(EVENTS))
def test_an_event_is_found_for_the_project_it_concerns_and_no_other(kind, monkeypatch):
    monkeypatch.setattr("snaplab.lab.entries.probe", lambda *args: {})
    monkeypatch.setattr("snaplab.lab.entries.look", lambda *args: {})
    event = EVENTS[kind]
    assert concerns(event) == MINE.project
    assert entry_for(event, MINE, None, RECORD) is not None
    assert entry_for(event, THEIRS, None, RECORD) is None


def test_the_daemons_own_task_concerns_every_session():
    task = operation("op2", "Snapshotting instance", "Running", 0)
    assert concerns(task) is None


def test_a_request_without_a_project_is_the_default_projects():
    assert concerns(logged("/1.0/instances/web?recursion=1")) == "default"


def test_fanout_wakes_only_the_sessions_an_event_concerns_and_resets_their_tasks(monkeypatch):
    seen: list[tuple[str, str, object]] = []  # the Tasks kept: ids could be reused

    def found(event, session, record, tasks):
        seen.append((session.project, event["type"], tasks))

    monkeypatch.setattr(stream.entries, "heard", found)
    monkeypatch.setattr("snaplab.transports.connect", lambda target: SimpleNamespace(client=None))
    fanout = stream.Fanout([MINE, THEIRS], RECORD)
    fanout.put(EVENTS["lifecycle"])
    fanout.put(operation("op2", "Snapshotting instance", "Running", 0))
    fanout.reconnected()
    fanout.put(EVENTS["request"])
    fanout.close()
    mine = [(kind, tasks) for project, kind, tasks in seen if project == MINE.project]
    theirs = [kind for project, kind, _ in seen if project == THEIRS.project]
    assert [kind for kind, _ in mine] == ["lifecycle", "operation", "logging"]
    assert theirs == ["operation"]
    assert mine[0][1] is mine[1][1]
    assert mine[2][1] is not mine[1][1]  # a new stream: the session's Tasks afresh


def test_an_entry_is_told_early_before_its_probe_waits_on_the_daemon(monkeypatch):
    told: list[str] = []

    def look(*args):
        told.append("probe")
        return {"status": "Running"}

    monkeypatch.setattr("snaplab.lab.entries.look", look)
    early = lambda entry: told.append(f"early {entry.action}")  # noqa: E731
    entry = entry_for(EVENTS["lifecycle"], MINE, None, RECORD, early=early)
    assert told == ["early instance-snapshot-created", "probe"]
    assert entry is not None and entry.status == "Running"  # written as probed


def test_a_learners_next_command_is_heard_while_their_last_probe_waits(tmp_path, monkeypatch):
    """Heard as each event arrives, on the reader: not behind the session's probes, which
    wait on the daemon (under a class's load, seconds). Written in order, as probed."""
    import threading

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    monkeypatch.setattr(stream, "serves", lambda session, pid: True)
    monkeypatch.setattr("snaplab.transports.connect", lambda target: SimpleNamespace(client=None))
    daemon_answers = threading.Event()

    def look(client, instance, record, action=""):
        assert daemon_answers.wait(10)
        return {"status": "Running"}

    monkeypatch.setattr("snaplab.lab.entries.look", look)
    heard: list[str] = []
    fanout = stream.Fanout([MINE], RECORD, heard=lambda session, e: heard.append(e.action))
    fanout.put(EVENTS["lifecycle"])
    fanout.put(EVENTS["request"])  # `lxc info`: no probe of its own, but written behind one
    fanout.put(in_project(lifecycle("instance-snapshot-created", "snap1", 2), MINE.project))
    info = "info-requested"
    assert heard == ["instance-snapshot-created", info, "instance-snapshot-created"]
    daemon_answers.set()  # all three heard while the first probe still waits
    fanout.close()
    written = [(e.action, e.status) for e in MINE.entries() if e.kind == "event"]
    assert written == [
        ("instance-snapshot-created", "Running"),
        (info, ""),
        ("instance-snapshot-created", "Running"),
    ]


def test_a_subscriber_gathers_heard_events_apart_from_written_ones():
    import json
    import socket

    from snaplab.lab.channel import Subscription
    from snaplab.lab.journal import Entry

    ours, theirs = socket.socketpair()
    entry = Entry(t="2026-12-06T09:00:01Z", kind="event", action="instance-stopped")
    raw = json.loads(entry.to_json())
    ours.sendall((json.dumps({"heard": raw}) + "\n" + json.dumps({"entry": raw}) + "\n").encode())
    sub = Subscription(theirs)
    assert sub.next() is None and sub.heard == [entry]  # an older peer sees only a ping
    assert sub.next() == entry
    sub.close()
    ours.close()
