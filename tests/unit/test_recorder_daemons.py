"""Requests sent to another daemon, and the daemon's own tasks, fed by hand: no daemon.

The events are shaped as `lxc monitor` / `incus monitor` showed them on LXD 5.0.2 and
Incus 6.0.4: `lxc list` sends `GET /1.0/instances?filter=&recursion=2`; the snapshot
scheduler runs in a task "Snapshotting instance" and expiry pruning in "Cleaning up
expired instance snapshots", both naming no instance (`resources` null on LXD, `{}` on
Incus); LXD runs the two at once, Incus one after the other; a learner's `snapshot` runs
in a "Snapshotting instance" naming the instance. A lifecycle event can reach the stream
after its operation's end.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
import yaml

from snaplab.lab.entries import Tasks, entry_for, request_entry
from snaplab.lab.history import History, Live
from snaplab.lab.journal import Entry, Session
from snaplab.lab.model import Lab, Record, Request, Task, parse
from snaplab.lab.runner import record_for
from snaplab.lab.schema import validate
from snaplab.lab.stream import poke
from tests.unit.test_lab_schema import shipped

SESSION = Session("server", "lxd", "default", "web")
SCHEDULER = Task("scheduler", "Snapshotting instance", "instance-snapshot-created")
PRUNER = Task("pruner", "Cleaning up expired instance snapshots", "instance-snapshot-deleted")
RECORD = Record(
    events=("instance-snapshot-created", "instance-snapshot-deleted"),
    requests=(
        Request("info-requested", "GET", "/1.0/instances/{instance}", "recursion=1"),
        Request("copies-listed", "GET", "/1.0/instances", "recursion=2", "snapshot-server"),
        Request("copy-read", "GET", "/1.0/instances/{instance}", "", "snapshot-server"),
    ),
    tasks=(SCHEDULER, PRUNER),
    sockets=(("snapshot-server", "/var/lib/lxd-snapshot/unix.socket"),),
)
T0 = datetime(2026, 12, 4, 19, 34, 34, tzinfo=UTC)


def at(ms: float) -> str:
    return (T0 + timedelta(milliseconds=ms)).isoformat().replace("+00:00", "Z")


def logged(url: str, method: str = "GET") -> dict:
    return {
        "type": "logging",
        "timestamp": at(0),
        "location": "none",
        "metadata": {
            "level": "debug",
            "message": "Handling API request",
            "context": {"ip": "@", "method": method, "protocol": "unix", "url": url},
        },
    }


def test_a_request_on_the_snapshot_server_is_its_own():
    listed = logged("/1.0/instances?filter=&recursion=2")  # what `lxc list` sends
    entry = request_entry(listed, SESSION, RECORD, "snapshot-server")
    assert entry is not None and entry.kind == "event" and entry.action == "copies-listed"
    assert request_entry(listed, SESSION, RECORD) is None  # the same on the primary: not it
    info = logged("/1.0/instances/web?recursion=1")
    assert request_entry(info, SESSION, RECORD).action == "info-requested"
    # on the snapshot server, a request with no query is any query of that path
    assert request_entry(info, SESSION, RECORD, "snapshot-server").action == "copy-read"
    assert request_entry(logged("/1.0/instances/web"), SESSION, RECORD, "snapshot-server")


def test_a_request_on_the_snapshot_server_is_not_held_to_the_sessions_project():
    """A learner in project p on the primary lists the remote's own (default) project."""
    elsewhere = Session("server", "lxd", "ko101-kim", "web")
    listed = logged("/1.0/instances?filter=&recursion=2")
    assert request_entry(listed, elsewhere, RECORD, "snapshot-server") is not None
    assert request_entry(logged("/1.0/instances/web?recursion=1"), elsewhere, RECORD) is None


def test_what_the_snapshot_server_did_not_send_is_not_recorded():
    for event in (
        logged("/1.0/instances?recursion=1"),  # another query
        logged("/1.0/instances?recursion=2", "POST"),
        logged("/1.0/instances/other"),  # another instance
        {**logged("/1.0/instances?recursion=2"), "metadata": {"message": "Done"}},
    ):
        assert request_entry(event, SESSION, RECORD, "snapshot-server") is None, event


def test_the_record_travels_whole_through_the_recorders_spec():
    again = Record.from_dict(RECORD.to_dict())
    assert again == RECORD
    assert again.socket("snapshot-server") == "/var/lib/lxd-snapshot/unix.socket"
    assert again.other_daemons == ("snapshot-server",)
    assert Record().other_daemons == () and Record.from_dict({}) == Record()


def lab(record: Record, daemons: tuple[str, ...]) -> Lab:
    return Lab("x", None, None, "", None, {}, record, daemons)  # type: ignore[arg-type]


def test_the_snapshot_servers_socket_is_given_only_where_a_request_names_it():
    backend = SimpleNamespace(name="incus")  # its snapshot server's place: the registry's
    declared = replace(RECORD, sockets=())  # as lab.yaml gives it
    filled = record_for(lab(declared, ("snapshot-server",)), backend, None)
    assert filled.socket("snapshot-server") == "/var/lib/incus-snapshot/unix.socket"
    plain = Record(events=RECORD.events)
    assert record_for(lab(plain, ("snapshot-server",)), backend, None) is plain
    remote = record_for(lab(declared, ("snapshot-server",)), backend, "https://h:8443")
    assert remote.socket("snapshot-server") == ""  # not this machine's to reach


# The daemon's own tasks


def operation(
    op: str, description: str, status: str, ms: float, instances: list | None = None, **kw
) -> dict:
    resources = {"instances": instances} if instances else kw.pop("resources", None)
    return {
        "type": "operation",
        "timestamp": at(ms),
        "location": "none",
        **({"project": kw["project"]} if "project" in kw else {}),
        "metadata": {
            "id": op,
            "class": "task",
            "description": description,
            "status": status,
            "resources": resources,
            "created_at": at(kw.get("began", ms)),
        },
    }


def lifecycle(action: str, snapshot: str, ms: float, instance: str = "web") -> dict:
    return {
        "type": "lifecycle",
        "timestamp": at(ms),
        "project": "default",
        "metadata": {
            "action": action,
            "source": f"/1.0/instances/{instance}/snapshots/{snapshot}",
            "requestor": None,
            "context": None,
        },
    }


def journal(events: list[dict], monkeypatch, session: Session = SESSION) -> list[Entry]:
    monkeypatch.setattr("snaplab.lab.entries.probe", lambda *args: {})
    tasks = Tasks(RECORD, session)
    found = [entry_for(e, session, None, RECORD, tasks) for e in events]
    return [e for e in found if e is not None]


SNAP, PRUNE = "Snapshotting instance", "Cleaning up expired instance snapshots"


def lxd_minute() -> list[dict]:
    """LXD 5.0.2 at 19:34:34: the pruner and the scheduler at once, in the stream's order."""
    return [
        operation("08e1", PRUNE, "Pending", 0.0),
        operation("08e1", PRUNE, "Running", 0.02),
        operation("f973", SNAP, "Running", 3.2, began=3.18),  # Running before Pending, as seen
        operation("f973", SNAP, "Pending", 3.18),
        lifecycle("instance-snapshot-created", "snap1", 13.4),
        lifecycle("instance-snapshot-deleted", "manual1", 26.8),
        lifecycle("instance-snapshot-deleted", "snap0", 68.85),
        operation("08e1", PRUNE, "Success", 68.92),
        operation("f973", SNAP, "Success", 97.8),
    ]


def test_lxd_a_scheduled_snapshot_and_pruning_are_the_daemons(monkeypatch):
    made, gone, gone_too = journal(lxd_minute(), monkeypatch)
    assert (made.action, made.snapshot, made.by) == (
        "instance-snapshot-created",
        "snap1",
        "scheduler",
    )
    assert (gone.snapshot, gone.by) == ("manual1", "pruner")
    assert (gone_too.snapshot, gone_too.by) == ("snap0", "pruner")
    assert '"by": "scheduler"' in made.to_json()


def test_incus_a_scheduled_snapshot_and_pruning_are_the_daemons(monkeypatch):
    """Incus 6.0.4 at 19:34:35: the pruner first, then the scheduler; `resources` is {}."""
    events = [
        operation("a924", PRUNE, "Running", 0.02, resources={}, began=0.0),
        operation("a924", PRUNE, "Pending", 0.0, resources={}),
        lifecycle("instance-snapshot-deleted", "manual1", 10.8),
        operation("a924", PRUNE, "Success", 15.5, resources={}),
        operation("83c8", SNAP, "Running", 17.3, resources={}, began=17.2),
        operation("83c8", SNAP, "Pending", 17.2, resources={}),
        lifecycle("instance-snapshot-created", "snap1", 23.4),
        operation("83c8", SNAP, "Success", 104.3, resources={}),
    ]
    gone, made = journal(events, monkeypatch)
    assert (gone.snapshot, gone.by) == ("manual1", "pruner")
    assert (made.snapshot, made.by) == ("snap1", "scheduler")


def test_an_event_that_reaches_the_stream_after_its_operations_end_is_still_the_daemons(
    monkeypatch,
):
    events = lxd_minute()
    late = events.pop(6)  # snap0's delete, 70 µs before the pruner's end, arrives after it
    events.insert(7, late)
    assert [e.by for e in journal(events, monkeypatch)] == ["scheduler", "pruner", "pruner"]


def test_a_learners_snapshot_is_the_learners(monkeypatch):
    """`lxc snapshot web manual1`: its operation names the instance."""
    mine = ["/1.0/instances/web"]
    events = [
        operation("01b1", SNAP, "Pending", 0, mine),
        operation("01b1", SNAP, "Running", 0.03, mine),
        lifecycle("instance-snapshot-created", "manual1", 6),
        operation("01b1", SNAP, "Success", 92, mine),
        lifecycle("instance-snapshot-deleted", "manual1", 500),  # `lxc delete web/manual1`
    ]
    assert [e.by for e in journal(events, monkeypatch)] == ["", ""]
    assert "by" not in journal(events, monkeypatch)[0].to_json()


def test_a_learners_snapshot_while_the_scheduler_runs_is_the_learners(monkeypatch):
    events = [
        operation("f973", SNAP, "Running", 0),
        operation("01b1", SNAP, "Running", 1, ["/1.0/instances/web"]),
        lifecycle("instance-snapshot-created", "mine", 5),
        operation("01b1", SNAP, "Success", 50, ["/1.0/instances/web"]),
        lifecycle("instance-snapshot-created", "snap3", 60),  # the scheduler's, after it
        operation("f973", SNAP, "Success", 90),
    ]
    assert [(e.snapshot, e.by) for e in journal(events, monkeypatch)] == [
        ("mine", ""),
        ("snap3", "scheduler"),
    ]


def test_what_is_not_the_daemons_own_task_does_not_make_an_event_its(monkeypatch):
    other = ["/1.0/instances/web-2"]
    events = [
        operation("aa", SNAP, "Running", 0, other),  # another instance's snapshot: not ours
        operation("bb", "Deleting snapshot", "Running", 0),  # a description no task names
        operation("cc", SNAP, "Success", 1, began=0.5),  # ended before the event
        lifecycle("instance-snapshot-created", "s", 5),
        lifecycle("instance-snapshot-deleted", "s", 6),
    ]
    assert [e.by for e in journal(events, monkeypatch)] == ["", ""]


def test_an_event_before_any_operation_was_heard_is_nobodys(monkeypatch):
    events = [lifecycle("instance-snapshot-created", "snap0", 0), *lxd_minute()[:2]]
    assert [e.by for e in journal(events, monkeypatch)] == [""]


def test_a_check_reads_the_scheduler_and_the_pruner_as_a_rule():
    """A snapshot the scheduler made, named by the pattern, then pruned when it expired."""
    t0 = datetime(2026, 1, 1, tzinfo=UTC)

    def e(s: float, action: str, snap: str, by: str = "") -> Entry:
        return Entry(
            t=(t0 + timedelta(seconds=s)).isoformat(),
            kind="event",
            action=action,
            snapshot=snap,
            by=by,
        )

    created = "2026-01-01T00:00:00Z"
    entries = [
        Entry(t=t0.isoformat(), kind="start", created_at=created),
        e(10, "instance-snapshot-created", "web-mine"),
        e(60, "instance-snapshot-created", "web2026-01-01_00-01-00", "scheduler"),
        e(125, "instance-snapshot-deleted", "web-mine", "pruner"),
        e(185, "instance-snapshot-deleted", "web2026-01-01_00-01-00", "pruner"),
    ]
    history = History(entries, Live(exists=True, created_at=created))
    made = history.events("instance-snapshot-created", by="scheduler")
    assert [m.snapshot for m in made] == ["web2026-01-01_00-01-00"]
    assert made[0].snapshot.startswith("web2026-")  # the pattern
    pruned = history.first("instance-snapshot-deleted", by="pruner", snapshot=made[0].snapshot)
    assert pruned is not None and pruned > made[0].when
    assert history.first("instance-snapshot-created", by="") == t0 + timedelta(seconds=10)


# The lab file


def with_record(**record) -> dict:
    doc = copy.deepcopy(shipped())
    doc["record"].update(record)
    return doc


SERVER_LIST = {"name": "copies-listed", "method": "GET", "path": "/1.0/instances"}


def test_a_request_may_name_a_declared_daemon_and_leave_out_its_query():
    doc = with_record(requests=[{**SERVER_LIST, "daemon": "snapshot-server"}])
    doc["resources"] = {"daemons": ["snapshot-server"]}
    assert validate(doc) == []
    lab_ = parse(doc, "lab.yaml")
    assert lab_.record.requests[0] == Request(
        "copies-listed", "GET", "/1.0/instances", "", "snapshot-server"
    )
    assert lab_.record.other_daemons == ("snapshot-server",)


def test_a_request_on_an_undeclared_or_unknown_daemon_is_refused():
    doc = with_record(requests=[{**SERVER_LIST, "daemon": "snapshot-server"}])
    assert validate(doc) == [
        "record.requests[0].daemon: 'snapshot-server' is not in resources.daemons"
    ]
    doc["resources"] = {"daemons": ["backup"]}
    assert "resources.daemons[0]: 'backup' is not one of snapshot-server" in validate(doc)
    doc = with_record(requests=[{**SERVER_LIST, "daemon": 3}])
    assert "record.requests[0].daemon: must be str" in validate(doc)


def test_tasks_are_validated():
    doc = with_record(
        tasks=[
            {"name": "scheduler", "description": SNAP, "action": "instance-snapshot-created"},
            {"name": "pruner", "description": PRUNE, "action": "instance-snapshot-deleted"},
        ]
    )
    assert validate(doc) == []
    assert parse(doc, "lab.yaml").record.tasks == (SCHEDULER, PRUNER)
    doc = with_record(
        tasks=[
            {"name": "scheduler", "description": SNAP, "action": "instance-updated"},
            {"name": "scheduler", "description": PRUNE, "action": "instance-snapshot-deleted"},
            {"name": "pruner", "description": PRUNE},
            {"name": "x", "description": PRUNE, "action": "instance-stopped", "when": 1},
            "pruner",
        ]
    )
    assert sorted(validate(doc)) == sorted(
        [
            "record.tasks[0].action: 'instance-updated' is not in record.events",
            "record.tasks[1].name: duplicate task name 'scheduler'",
            "record.tasks[2].action: missing",
            "record.tasks[3].when: unknown key",
            "record.tasks[4]: must be a mapping",
        ]
    )


@pytest.mark.parametrize("key", ["tasks", "requests"])
def test_a_record_list_must_be_a_list(key):
    assert f"record.{key}: must be list" in validate(with_record(**{key: "scheduler"}))


def test_the_yaml_reads_as_the_readme_says():
    doc = yaml.safe_load(
        """
        record:
          events: [instance-snapshot-created, instance-snapshot-deleted]
          requests:
            - {name: copies-listed, method: GET, path: /1.0/instances, daemon: snapshot-server}
          tasks:
            - {name: scheduler, description: Snapshotting instance,
               action: instance-snapshot-created}
            - {name: pruner, description: Cleaning up expired instance snapshots,
               action: instance-snapshot-deleted}
        resources: {daemons: [snapshot-server]}
        """
    )
    full = {**shipped(), **doc}
    assert validate(full) == []


class QuietStream:
    """A new request-log stream: nothing heard until the daemon logs a request."""

    heard = False
    terminated = False


class Daemon:
    def __init__(self, stream: QuietStream, logs_after: int) -> None:
        self.asked, self.stream, self.logs_after = 0, stream, logs_after
        self.api = self

    def get(self, timeout: float) -> None:
        self.asked += 1
        if self.asked >= self.logs_after:  # the stream carries this request's log line
            self.stream.heard = True


def test_a_quiet_daemon_is_asked_until_its_stream_carries_a_message():
    stream = QuietStream()
    daemon = Daemon(stream, logs_after=3)
    poke(daemon, stream, every=0)
    assert stream.heard and daemon.asked == 3  # and no more once heard


def test_a_stream_already_heard_is_not_poked():
    stream = QuietStream()
    stream.heard = True
    daemon = Daemon(stream, logs_after=1)
    poke(daemon, stream, every=0)
    assert daemon.asked == 0


def test_checks_mark_is_written_down_and_nothing_else_of_its_reads():
    """`check` puts a word of its own on its first read of the lab instance; the recorder
    writes that word down (a "mark", no evidence of anything), so check knows when all
    before it is written. Its other reads, and a mark on another instance, are not."""
    from snaplab.lab.entries import MARK, MARKED
    from snaplab.transports import OWN_QUERY

    path = f"/1.0/instances/{SESSION.instance}"
    entry = request_entry(logged(f"{path}?{OWN_QUERY}=1&{MARK}=w0rd"), SESSION, RECORD)
    assert entry is not None and entry.kind == MARKED and entry.note == "w0rd"
    assert request_entry(logged(f"{path}?{OWN_QUERY}=1"), SESSION, RECORD) is None
    assert (
        request_entry(logged(f"/1.0/instances/other?{OWN_QUERY}=1&{MARK}=w"), SESSION, RECORD)
        is None
    )
    other = f"{path}?{OWN_QUERY}=1&{MARK}=w&project=elsewhere"
    assert request_entry(logged(other), SESSION, RECORD) is None
    assert (
        request_entry(logged(f"{path}?{OWN_QUERY}=1&{MARK}=w"), SESSION, RECORD, "snapshot-server")
        is None
    )


def test_a_class_grades_mark_rides_on_its_listing_of_the_learners_project():
    """A class's grade lists each learner's project (`GET /1.0/instances?project=P`) with
    the learner's word on it: their recorder writes it down, another project's does not."""
    from snaplab.lab.entries import MARK, MARKED
    from snaplab.transports import OWN_QUERY

    listing = f"/1.0/instances?{OWN_QUERY}=1&{MARK}=w0rd&recursion=1&project="
    entry = request_entry(logged(listing + SESSION.project), SESSION, RECORD)
    assert entry is not None and entry.kind == MARKED and entry.note == "w0rd"
    assert request_entry(logged(listing + "elsewhere"), SESSION, RECORD) is None
