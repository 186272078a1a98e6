"""The recorder reads snapshot names out of what the daemon sends. Seen on the real daemons:
a lifecycle event's source is percent-encoded (twice by LXD 5.0, once by Incus 6.0), while
the snapshot list and a restore's context carry the name as typed. Every name the daemon
accepts must come back as the learner typed it."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from snaplab.backends import get_backend
from snaplab.lab.entries import entry_for, last_part, source_name
from snaplab.lab.journal import Session
from snaplab.lab.model import load

RECORD = load("snapshots").record

NAMES = ["ubuntu-test-1", "업그레이드-전", "café-avant", "50%done", "v1.2_final", "a%41"]


def source(backend: str, name: str) -> str:
    encoded = name
    for _ in range(get_backend(backend).source_encodings):
        encoded = quote(encoded, safe="-_.")
    return f"/1.0/instances/ubuntu-test/snapshots/{encoded}"


def test_the_encodings_are_what_the_daemons_send():
    """`lxc monitor` on LXD 5.0.2 and Incus 6.0.4, for a snapshot named 업-전."""
    assert source("lxd", "업-전").endswith("/%25EC%2597%2585-%25EC%25A0%2584")
    assert source("incus", "업-전").endswith("/%EC%97%85-%EC%A0%84")


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("backend", ["lxd", "incus"])
def test_a_source_gives_back_the_name_as_typed(name, backend):
    assert source_name(source(backend, name), backend) == name
    assert source_name(source(backend, name) + "?project=ko101-s01", backend) == name


@pytest.mark.parametrize("name", NAMES)
def test_a_listed_name_is_taken_as_it_is(name):
    assert last_part(f"/1.0/instances/ubuntu-test/snapshots/{name}?project=p") == name


def event(action: str, src: str, context: dict | None = None) -> dict:
    return {
        "type": "lifecycle",
        "timestamp": "2026-12-04T10:00:00Z",
        "metadata": {"action": action, "source": src, "context": context or {}},
    }


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("backend", ["lxd", "incus"])
@pytest.mark.parametrize("action", ["instance-snapshot-created", "instance-snapshot-deleted"])
def test_a_snapshot_event_is_journalled_under_the_typed_name(monkeypatch, name, backend, action):
    monkeypatch.setattr("snaplab.lab.entries.probe", lambda *args: {})
    session = Session("snapshots", backend, "default", "ubuntu-test")
    entry = entry_for(event(action, source(backend, name)), session, None, RECORD)
    assert entry is not None and entry.snapshot == name


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("backend", ["lxd", "incus"])
def test_a_restore_event_names_the_snapshot_as_typed(monkeypatch, name, backend):
    monkeypatch.setattr("snaplab.lab.entries.probe", lambda *args: {})
    session = Session("snapshots", backend, "default", "ubuntu-test")
    restored = event(
        "instance-restored", "/1.0/instances/ubuntu-test", {"snapshot": f"ubuntu-test/{name}"}
    )
    entry = entry_for(restored, session, None, RECORD)
    assert entry is not None and entry.snapshot == name


class Node:
    """A pylxd API node that answers one instance's reads: what a probe asks (the files API's
    HEAD, which pylxd has no verb for, through the node's session, as snaplab/instance.py)."""

    _project = None
    _timeout = None

    def __init__(self, answers: dict[str, object], path: str = "") -> None:
        self.answers = answers
        self.path = self._api_endpoint = path
        self.session = self

    def __getitem__(self, part: str) -> Node:
        return Node(self.answers, f"{self.path}/{part}")

    def get(self, **kw: object) -> object:
        return self.request("GET", self.path)

    def request(self, method: str, url: str, **kw: object) -> object:
        from types import SimpleNamespace

        found = self.answers[url]
        if isinstance(found, Exception):
            raise found
        return SimpleNamespace(json=lambda: {"metadata": found})

    def _assert_response(self, response: object, **kw: object) -> None:
        pass


def test_a_probe_reads_the_config_keys_the_lab_records():
    from types import SimpleNamespace

    from pylxd.exceptions import NotFound

    from snaplab.lab.entries import probe

    instance = {"status": "Running", "config": {"snapshots.expiry": "2M", "user.other": "x"}}
    gone = NotFound(SimpleNamespace(json=lambda: {"error": "not found"}, status_code=404))
    answers = {
        "/instances/web": instance,
        "/instances/web/snapshots": ["/1.0/instances/web/snapshots/s1"],
        "/instances/web/files": gone,
    }
    client = SimpleNamespace(api=Node(answers))
    found = probe(client, "web", ("/root/f",), ("snapshots.expiry", "snapshots.schedule"))
    assert found["config"] == {"snapshots.expiry": "2M"}  # set keys only; none invented
    assert found["files"] == {"/root/f": False} and found["snapshots"] == ["s1"]


def test_a_recorder_asked_to_end_is_seen_to_end_or_killed():
    """`finish` says the recording stopped: one that ignores the request does not outlive it."""
    import subprocess
    import sys

    from snaplab.lab import recorder

    stubborn = "import signal, time; signal.signal(15, signal.SIG_IGN); print(1, flush=True); time.sleep(60)"
    proc = subprocess.Popen(
        [sys.executable, "-c", stubborn, "snaplab.lab.recorder"], stdout=subprocess.PIPE
    )
    assert proc.stdout is not None and proc.stdout.readline()  # its handler is in place
    recorder.terminate(proc.pid, wait=0.3)
    assert proc.wait(timeout=5) == -9  # killed after the wait
