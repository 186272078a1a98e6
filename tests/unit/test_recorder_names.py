"""The recorder reads snapshot names out of URLs the daemon sends: percent-encoded, and with
?project=P outside the default project. Every name the daemon accepts must come back as typed."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from snaplab.lab.journal import Session
from snaplab.lab.recorder import entry_for, last_part

NAMES = ["ubuntu-test-1", "업그레이드-전", "café-avant", "50%done", "v1.2_final", "a b"]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("project", ["default", "ko101-s01"])
def test_a_snapshot_url_gives_back_the_name_as_typed(name, project):
    url = f"/1.0/instances/ubuntu-test/snapshots/{quote(name, safe='')}"
    if project != "default":
        url += f"?project={project}"
    assert last_part(url) == name


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("action", ["instance-snapshot-created", "instance-snapshot-deleted"])
def test_a_snapshot_event_is_journalled_under_the_typed_name(monkeypatch, name, action):
    monkeypatch.setattr("snaplab.lab.recorder.probe", lambda client, instance, path: {})
    session = Session("snapshots", "lxd", "default", "ubuntu-test")
    event = {
        "type": "lifecycle",
        "timestamp": "2026-12-04T10:00:00Z",
        "metadata": {
            "action": action,
            "source": f"/1.0/instances/ubuntu-test/snapshots/{quote(name, safe='')}",
            "context": {},
        },
    }
    entry = entry_for(event, session, client=None, path="/root/this_file.txt")
    assert entry is not None and entry.snapshot == name


@pytest.mark.parametrize("name", NAMES)
def test_a_restore_event_names_the_snapshot_as_typed(monkeypatch, name):
    monkeypatch.setattr("snaplab.lab.recorder.probe", lambda client, instance, path: {})
    session = Session("snapshots", "incus", "default", "ubuntu-test")
    snapshot_url = f"/1.0/instances/ubuntu-test/snapshots/{quote(name, safe='')}"
    event = {
        "type": "lifecycle",
        "timestamp": "2026-12-04T10:00:00Z",
        "metadata": {
            "action": "instance-restored",
            "source": "/1.0/instances/ubuntu-test",
            "context": {"snapshot": snapshot_url},
        },
    }
    entry = entry_for(event, session, client=None, path="/root/this_file.txt")
    assert entry is not None and entry.snapshot == name
