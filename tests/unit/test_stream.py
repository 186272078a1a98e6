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

    def found(event, session, client, record, tasks):
        seen.append((session.project, event["type"], tasks))

    monkeypatch.setattr(stream, "entry_for", found)
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
