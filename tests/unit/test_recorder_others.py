"""Other resources a lab records (`record.others`), fed by hand: no daemon.

The sources are as `lxc monitor` / `incus monitor --type=lifecycle` showed them on LXD 5.0.2
and Incus 6.0.4 in a project h4-ev: every source carries ?project=; a custom volume is named
PROJECT_NAME in it; a snapshot name is percent-encoded twice by LXD, once by Incus.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

import pytest
import yaml

from snaplab.errors import ExitCode, SnaplabError
from snaplab.lab import actions
from snaplab.lab.entries import EXEC_ENDED, OWN_MARK, about, entry_for
from snaplab.lab.history import History, Live
from snaplab.lab.journal import Entry, Session
from snaplab.lab.model import Other, Record, Request, lab_ids, load, parse
from snaplab.lab.schema import validate
from snaplab.paths import data_dir

PROJECT = "h4-ev"
RECORD = Record(
    events=("instance-started",),
    files=("/root/x",),
    requests=(Request("copy-read", "GET", "/1.0/instances/{copy}"),),
    others=(
        Other("instance-created", "{copy}"),
        Other("instance-started", "{copy}"),
        Other("instance-exec", "{copy}"),
        Other("instance-deleted", "{copy}"),
        Other("image-created"),
        Other("storage-volume-snapshot-created"),
    ),
    params={"instance": "ubuntu-test", "copy": "{instance}-copy", "snapshot": "golden"},
)


def session(backend: str = "lxd", instance: str = "ubuntu-test") -> Session:
    return Session("copies", backend, PROJECT, instance)


def lifecycle(action: str, source: str, project: str = PROJECT, **context: object) -> dict:
    return {
        "type": "lifecycle",
        "timestamp": "2026-12-05T23:07:36.152099593Z",
        "project": project,
        "metadata": {"action": action, "source": source, "context": context},
    }


@pytest.fixture
def probes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The instances probed, each answering that the file is there and it runs."""
    seen: list[str] = []

    def probe(client: object, name: str, paths: tuple[str, ...], keys: tuple = ()) -> dict:
        seen.append(name)
        return {"files": {p: True for p in paths}, "status": "Running", "snapshots": []}

    monkeypatch.setattr("snaplab.lab.entries.probe", probe)
    return seen


@pytest.mark.parametrize(
    ("source", "backend", "found"),
    [
        ("/1.0/instances/h4-c1?project=h4-ev", "lxd", ("h4-c1", "")),
        ("/1.0/instances/h4-c1/snapshots/h4-%25C3%25A9?project=h4-ev", "lxd", ("h4-c1", "h4-é")),
        ("/1.0/instances/h4-c1/snapshots/h4-%C3%A9?project=h4-ev", "incus", ("h4-c1", "h4-é")),
        ("/1.0/instances/h5-src/backups/backup0", "lxd", ("h5-src", "")),
        ("/1.0/profiles/h4-prof?project=h4-ev", "incus", ("h4-prof", "")),
        ("/1.0/images/da7e2d82?project=h4-ev", "lxd", ("da7e2d82", "")),
        ("/1.0/images/aliases/h4-img?project=h4-ev", "incus", ("h4-img", "")),
        (
            "/1.0/storage-pools/default/volumes/custom/h4-ev_h4-vol?project=h4-ev",
            "lxd",
            ("h4-vol", ""),
        ),
        (
            "/1.0/storage-pools/default/volumes/custom/h4-ev_h4-vol/snapshots/h4-s%25251?project=h4-ev",
            "lxd",
            ("h4-vol", "h4-s%1"),
        ),
        (
            "/1.0/storage-pools/default/volumes/custom/h4-ev_h4-vol/snapshots/h4-s%251?project=h4-ev",
            "incus",
            ("h4-vol", "h4-s%1"),
        ),
        ("/1.0/storage-pools/default", "lxd", ("default", "")),
        ("/1.0", "lxd", ("", "")),
    ],
)
def test_the_resource_an_event_is_about_as_the_learner_typed_it(source, backend, found):
    assert about(source, backend, PROJECT) == found


def test_a_volume_in_the_default_project_keeps_its_whole_name():
    source = "/1.0/storage-pools/default/volumes/custom/h4-ev_h4-vol"
    assert about(source, "incus", "default") == ("h4-ev_h4-vol", "")


@pytest.mark.parametrize("backend", ["lxd", "incus"])
def test_a_named_copys_lifecycle_is_journalled_with_its_name_and_probed(probes, backend):
    event = lifecycle("instance-started", "/1.0/instances/ubuntu-test-copy?project=h4-ev")
    entry = entry_for(event, session(backend), None, RECORD)
    assert entry is not None
    assert (entry.action, entry.name, entry.files, entry.status) == (
        "instance-started",
        "ubuntu-test-copy",
        {"/root/x": True},
        "Running",
    )
    assert probes == ["ubuntu-test-copy"]


def test_an_instance_being_created_is_written_down_unprobed(probes):
    """An import may still be unpacking: a files-API read then fails it on Incus 6.0.4."""
    event = lifecycle("instance-created", "/1.0/instances/ubuntu-test-copy?project=h4-ev")
    entry = entry_for(event, session("incus"), None, RECORD)
    assert entry is not None and entry.name == "ubuntu-test-copy" and entry.files == {}
    assert probes == []


def test_a_deleted_copy_is_missing_without_asking_the_files_api(probes):
    """Asked, each file would be retried for PROBE_TIMEOUT, holding up the session's events."""
    event = lifecycle("instance-deleted", "/1.0/instances/ubuntu-test-copy?project=h4-ev")
    entry = entry_for(event, session(), None, RECORD)
    assert (entry.name, entry.status, entry.files) == ("ubuntu-test-copy", "Missing", {})
    assert probes == []


def test_a_copy_is_named_after_the_learners_own_instance(probes):
    """A class's recorder serves many learners: {instance} in a name is each one's."""
    event = lifecycle("instance-created", "/1.0/instances/web-copy?project=h4-ev")
    assert entry_for(event, session(instance="web"), None, RECORD).name == "web-copy"
    assert entry_for(event, session(), None, RECORD) is None


def test_the_copys_exec_and_its_end_are_the_copys(probes):
    started = lifecycle(
        "instance-exec", "/1.0/instances/ubuntu-test-copy?project=h4-ev", command=["sh"]
    )
    assert entry_for(started, session(), None, RECORD).name == "ubuntu-test-copy"
    ended = {
        "type": "operation",
        "timestamp": "2026-12-05T23:07:40Z",
        "project": PROJECT,
        "metadata": {
            "class": "websocket",
            "status": "Success",
            "resources": {"instances": ["/1.0/instances/ubuntu-test-copy?project=h4-ev"]},
            "metadata": {"command": ["sh"]},
        },
    }
    entry = entry_for(ended, session(), None, RECORD)
    assert (entry.action, entry.name) == (EXEC_ENDED, "ubuntu-test-copy")
    assert probes == ["ubuntu-test-copy", "ubuntu-test-copy"]


def test_snaplabs_own_exec_in_the_copy_is_marked_and_not_probed(probes):
    event = lifecycle(
        "instance-exec", "/1.0/instances/ubuntu-test-copy?project=h4-ev", command=["sh", OWN_MARK]
    )
    entry = entry_for(event, session(), None, RECORD)
    assert entry.own and probes == []


def test_the_lab_instances_events_stay_the_lab_instances(probes):
    """instance-created of the lab instance is not in record.events: not written at all, and
    never as an `other`; instance-started is, with no name."""
    created = lifecycle("instance-created", "/1.0/instances/ubuntu-test?project=h4-ev")
    assert entry_for(created, session(), None, RECORD) is None
    started = lifecycle("instance-started", "/1.0/instances/ubuntu-test?project=h4-ev")
    assert entry_for(started, session(), None, RECORD).name == ""


@pytest.mark.parametrize(
    "event",
    [
        lifecycle("instance-created", "/1.0/instances/somebody?project=h4-ev"),  # not named
        lifecycle("instance-renamed", "/1.0/instances/ubuntu-test-copy?project=h4-ev"),  # no action
        lifecycle("instance-created", "/1.0/instances/ubuntu-test-copy", project="default"),
        lifecycle("profile-created", "/1.0/profiles/p?project=h4-ev"),
    ],
)
def test_what_the_lab_does_not_name_is_not_written(probes, event):
    assert entry_for(event, session(), None, RECORD) is None
    assert probes == []


@pytest.mark.parametrize("backend", ["lxd", "incus"])
def test_an_unnamed_kind_is_written_with_whatever_the_daemon_named_unprobed(probes, backend):
    image = lifecycle("image-created", "/1.0/images/da7e2d82?project=h4-ev", type="container")
    assert entry_for(image, session(backend), None, RECORD).name == "da7e2d82"
    encoded = "h4-s%25251" if backend == "lxd" else "h4-s%251"
    snap = lifecycle(
        "storage-volume-snapshot-created",
        f"/1.0/storage-pools/default/volumes/custom/h4-ev_h4-vol/snapshots/{encoded}?project=h4-ev",
    )
    entry = entry_for(snap, session(backend), None, RECORD)
    assert (entry.name, entry.snapshot) == ("h4-vol", "h4-s%1")
    assert probes == []


def test_a_request_path_may_name_any_parameter():
    """`/1.0/instances/{copy}` raised KeyError in the recorder."""
    logged = {
        "type": "logging",
        "timestamp": "2026-12-05T23:07:36Z",
        "metadata": {
            "message": "Handling API request",
            "context": {"method": "GET", "url": "/1.0/instances/ubuntu-test-copy?project=h4-ev"},
        },
    }
    entry = entry_for(logged, session(), None, RECORD)
    assert entry is not None and entry.action == "copy-read"


def test_the_recorders_spec_keeps_others_and_parameters():
    assert Record.from_dict(RECORD.to_dict()) == RECORD


T0 = datetime(2026, 12, 5, 23, 0, tzinfo=UTC)


def at(s: int) -> str:
    return (T0 + timedelta(seconds=s)).isoformat()


def history() -> History:
    entries = [
        Entry(t=at(0), kind="start", created_at="c1"),
        Entry(t=at(1), kind="event", action="instance-started", files={"/root/x": False}),
        Entry(t=at(2), kind="event", action="instance-created", name="ubuntu-test-copy"),
        Entry(
            t=at(3),
            kind="event",
            action="instance-started",
            name="ubuntu-test-copy",
            files={"/root/x": True},
        ),
    ]
    return History(entries, Live(exists=True, created_at="c1"))


def test_history_selects_the_lab_instance_unless_a_name_is_given():
    h = history()
    assert [e.t for e in h.events("instance-started")] == [at(1)]
    assert h.first("instance-created") is None
    assert h.first("instance-created", name="ubuntu-test-copy") == T0 + timedelta(seconds=2)
    assert [e.t for e in h.events("instance-started", name="ubuntu-test-copy")] == [at(3)]
    assert h.running_at(T0 + timedelta(seconds=4))  # the lab instance's own start only


def test_sightings_are_of_one_instance():
    h = history()
    assert [e.files["/root/x"] for e in h.sightings("/root/x")] == [False]
    assert [e.files["/root/x"] for e in h.sightings("/root/x", name="ubuntu-test-copy")] == [True]


def lab_doc() -> dict:
    path = data_dir("labs") / "snapshots" / "lab.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_others_load_with_the_lab():
    doc = lab_doc()
    doc["parameters"]["copy"] = "{instance}-copy"
    doc["record"]["others"] = [
        {"action": "instance-created", "name": "{copy}"},
        {"action": "image-created"},
    ]
    doc["record"]["requests"].append(
        {"name": "copy-read", "method": "GET", "path": "/1.0/instances/{copy}"}
    )
    record = parse(doc, "x.yaml").record
    assert record.others == (Other("instance-created", "{copy}"), Other("image-created"))
    assert record.names("lxd", "web")["copy"] == "web-copy"


def test_a_name_or_path_naming_no_parameter_is_a_lab_error():
    doc = lab_doc()
    doc["record"]["others"] = [{"action": "instance-created", "name": "{copy}"}]
    doc["record"]["requests"].append(
        {"name": "x", "method": "GET", "path": "/1.0/instances/{nope}"}
    )
    with pytest.raises(SnaplabError) as caught:
        parse(doc, "x.yaml")
    assert caught.value.code == ExitCode.LAB_INVALID
    assert "record.others: {copy} is not a parameter" in str(caught.value)
    assert "record.requests: {nope} is not a parameter" in str(caught.value)


def test_actions_are_checked_against_what_the_daemons_emit():
    doc = copy.deepcopy(lab_doc())
    doc["record"]["events"].append("instance-snapshot-made")
    doc["record"]["others"] = [
        {"action": "storage-bucket-created"},  # Incus 6.0 only
        {"action": "image-created", "colour": "red"},
        {"name": "x"},
        {"action": "profile-renamed", "name": "p"},
        {"action": "instance-started", "name": "{instance}"},
    ]
    assert validate(doc) == [
        "record.events[7]: 'instance-snapshot-made' is no lifecycle action of LXD 5.0 or Incus 6.0",
        "record.others[0].action: 'storage-bucket-created' is not emitted by LXD 5.0",
        "record.others[1].colour: unknown key",
        "record.others[2].action: missing",
        "record.others[4].name: the lab instance's events go in record.events",
    ]


def test_every_built_in_labs_actions_are_emitted_by_both_daemons():
    for lab_id in lab_ids():
        record = load(lab_id).record
        for action in [*record.events, *(o.action for o in record.others)]:
            assert actions.problem(action) == "", (lab_id, action)
            assert all(action in emitted for emitted in actions.EMITTED.values())


def test_the_lists_hold_what_the_labs_and_the_recorder_rely_on():
    for action in ("instance-exec", "instance-restored", "image-created", "profile-created"):
        assert action in actions.SHARED
    assert "storage-volume-snapshot-created" in actions.SHARED
    assert actions.SHARED < actions.EMITTED["incus"]
    assert EXEC_ENDED not in actions.EMITTED["incus"]  # our own name: no lab may record it
