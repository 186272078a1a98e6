"""The recorder on real daemons: a second instance the lab names through a parameter.

A lab made here (the snapshots lab's file, with a `copy` parameter and `record.others`)
records the life of `{instance}-copy`: made, started, a shell in it that makes the lab's
file, its end, deleted. Each is journalled under the copy's name, each probe looks in the
copy, and an instance the lab does not name, made at the same time, leaves nothing. A
request path naming {copy} is recorded too. The recorder is started as `start` starts it,
its journal under a temporary XDG_STATE_HOME; LXD and Incus side by side.
"""

from __future__ import annotations

import subprocess
import time
import uuid

import pytest
import yaml

from snaplab.backends import NAMES, get_backend
from snaplab.lab import recorder
from snaplab.lab.entries import EXEC_ENDED
from snaplab.lab.journal import Entry, Session
from snaplab.lab.model import parse
from snaplab.paths import data_dir
from tests.integration.test_recorder_daemons import state  # noqa: F401 - a fixture

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("state")]

PREFIX = "rec3-test-"


def lab_doc() -> dict:
    doc = yaml.safe_load((data_dir("labs") / "snapshots" / "lab.yaml").read_text(encoding="utf-8"))
    doc["parameters"]["copy"] = "{instance}-copy"
    doc["record"]["others"] = [
        {"action": a, "name": "{copy}"}
        for a in ("instance-created", "instance-started", "instance-exec", "instance-deleted")
    ]
    doc["record"]["requests"].append(
        {
            "name": "copy-read",
            "method": "GET",
            "path": "/1.0/instances/{copy}",
            "query": "recursion=1",
        }
    )
    return doc


def cli(backend: str, *args: str, check: bool = True) -> str:
    b = get_backend(backend)
    done = subprocess.run([b.cli, *args], capture_output=True, text=True, cwd="/")
    if check and done.returncode != 0:
        raise AssertionError(f"{b.cli} {' '.join(args)}: {done.stderr}")
    return done.stdout


def wait_for(session: Session, action: str, name: str, timeout: float = 60) -> list[Entry]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        entries = session.entries()
        if any(e.action == action and e.name == name for e in entries):
            return entries
        time.sleep(0.2)
    raise AssertionError(f"{action} of {name} not recorded within {timeout} s: {session.entries()}")


@pytest.mark.parametrize("backend", NAMES)
def test_a_named_second_instance_is_recorded_with_its_name_and_probes(backend):
    lab = parse(lab_doc(), "test-only lab")
    instance = f"{PREFIX}{backend}-{uuid.uuid4().hex[:6]}"  # the lab instance: never made
    copy, stranger = f"{instance}-copy", f"{instance}-other"
    file = lab.params["file"]
    session = Session("rec3", backend, "default", instance)
    pid = recorder.spawn_many([session], lab.record, session.dir)
    try:
        cli(backend, "init", "snaplab-lab", copy, "--quiet")
        cli(backend, "init", "snaplab-lab", stranger, "--quiet")  # not named: not recorded
        cli(backend, "start", copy)
        cli(backend, "exec", copy, "--", "touch", str(file))
        cli(backend, "info", copy)
        cli(backend, "delete", "--force", copy)
        entries = wait_for(session, "instance-deleted", copy)
        entries = wait_for(session, "copy-read", "")  # a request: no resource name, as today
        mine = [e for e in entries if e.kind == "event" and e.name == copy]
        actions = [e.action for e in mine]
        for action in ("instance-created", "instance-started", "instance-exec", EXEC_ENDED):
            assert action in actions, actions
        assert actions.index("instance-created") < actions.index("instance-started")
        assert actions[-1] == "instance-deleted", actions
        created = mine[actions.index("instance-created")]
        assert created.files == {} and created.status == "", created  # unprobed: see entries
        started = mine[actions.index("instance-started")]
        assert started.status == "Running", started  # its look may follow the next command
        ended = mine[actions.index(EXEC_ENDED)]
        assert ended.files == {file: True}, ended  # the probe looked in the copy
        assert mine[-1].status == "Missing", mine[-1]
        assert not [e for e in entries if e.name == stranger or e.name == instance]
        assert not [
            e for e in entries if e.kind == "event" and not e.name and e.action != "copy-read"
        ]
        print(f"{backend}: " + ", ".join(f"{e.action} {e.status} {e.files}" for e in mine))
    finally:
        recorder.terminate(pid)
        for name in (copy, stranger):
            cli(backend, "delete", "--force", name, check=False)
