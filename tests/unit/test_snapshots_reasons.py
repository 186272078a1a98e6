"""Chapter 8's wrong paths, each recognised from the journal and named by its own reason;
and `delete-refused`, proven only by the learner's refused `delete`. No daemon."""

from __future__ import annotations

from datetime import timedelta

from snaplab.lab.entries import request_entry
from snaplab.lab.grader import Evidence, run_checks
from snaplab.lab.history import History
from snaplab.lab.journal import Entry, Session
from snaplab.lab.results import LabResult
from snaplab.pytest_plugin import Graded
from snaplab.testing import Container
from snaplab.transports import OWN_QUERY
from tests.unit.graded import LAB, grade
from tests.unit.test_lab_evidence import FILE, T0, S, at, chapter, ev
from tests.unit.test_lab_evidence import live as unprotected


def live(**kw):
    """What `start` leaves: the container protected from `delete`."""
    return unprotected(**{"protected": True, **kw})


def attempt(seconds: float, gap: float = 0.003) -> list[Entry]:
    """The refused `lxc delete ubuntu-test`: the client asks for the instance twice."""
    return [ev(seconds, "instance-read"), ev(seconds + gap, "instance-read")]


def failed(entries: list[Entry], now=None) -> tuple[dict, dict]:
    graded = grade(entries, now or live())
    return graded.outcomes, graded.chain.failures  # type: ignore[attr-defined]


def test_the_whole_chapter_with_the_refused_delete_gets_every_step():
    outcomes, failures = failed([*chapter(), *attempt(10)])
    assert all(outcomes.values()) and failures == {}


def test_delete_refused_needs_the_learners_attempt():
    outcomes, failures = failed(chapter())
    assert outcomes["snapshot-deleted"] and not outcomes["delete-refused"]
    assert failures == {"delete-refused": ("not-tried", {})}


def test_what_is_not_a_refused_delete_does_not_count():
    for reads in (
        [ev(10, "instance-read")],  # `start` or `config show`: one GET
        attempt(10, gap=3),  # two such commands, seconds apart
        attempt(8.5),  # before the snapshot was deleted
    ):
        entries = sorted([*chapter(), *reads], key=lambda e: e.when)
        outcomes, failures = failed(entries)
        assert not outcomes["delete-refused"], reads
        assert failures["delete-refused"] == ("not-tried", {})


def test_a_delete_tried_on_the_stopped_container_does_not_count():
    es = [
        *chapter(),
        ev(10, "instance-shutdown", file=False, status="Stopped"),
        *attempt(11),
        ev(12, "instance-started", file=False),
    ]
    outcomes, failures = failed(es)
    assert not outcomes["delete-refused"] and failures["delete-refused"][0] == "not-tried"


def test_a_container_stopped_at_the_end_is_told_to_start_it():
    outcomes, failures = failed([*chapter(), *attempt(10)], live(status="Stopped"))
    assert outcomes["snapshot-deleted"] and not outcomes["delete-refused"]
    assert failures == {"delete-refused": ("stopped", {})}


def test_a_restore_while_running_and_never_stopped_fails_the_stop_with_its_reason():
    es = [e for e in chapter(running_restore=True) if e.when < T0 + timedelta(seconds=4.5)]
    outcomes, failures = failed(es)
    assert outcomes["file-touched"] and not outcomes["container-stopped"]
    assert failures == {"container-stopped": ("restored-running", {})}


def test_a_restore_while_running_after_a_stop_and_start_fails_the_restore_with_its_reason():
    es = [e for e in chapter() if e.when < T0 + timedelta(seconds=5.5)]  # up to the stop
    es += [
        ev(5.5, "instance-started", file=True, snapshots=[S]),
        ev(6, "instance-started", file=False, snapshots=[S]),  # the daemon's own, for the restore
        ev(6.001, "instance-restored", snapshot=S, file=False, snapshots=[S]),
    ]
    outcomes, failures = failed(es)
    assert outcomes["container-stopped"] and not outcomes["snapshot-restored"]
    assert failures == {"snapshot-restored": ("restored-running", {})}


def test_a_file_made_again_after_the_look_is_named():
    outcomes, failures = failed(chapter(), live(files={FILE: True}))
    assert not outcomes["file-gone"] and failures == {"file-gone": ("file-back", {})}


def test_a_snapshot_deleted_before_the_look_is_named():
    es = [e for e in chapter() if e.when < T0 + timedelta(seconds=7.5)]  # up to the start
    es.append(ev(8, "instance-snapshot-deleted", snapshot=S, file=False))
    outcomes, failures = failed(es)
    assert outcomes["container-started"] and not outcomes["file-gone"]
    assert failures == {"file-gone": ("snapshot-gone", {})}


def deleted_while_stopped() -> list[Entry]:
    es = [e for e in chapter() if e.action != "instance-snapshot-deleted"]
    return [
        *es,
        ev(9, "instance-shutdown", file=False, snapshots=[S], status="Stopped"),
        ev(10, "instance-snapshot-deleted", snapshot=S, file=False),
    ]


def test_a_snapshot_deleted_while_stopped_is_named_with_what_the_container_is_now():
    outcomes, failures = failed(deleted_while_stopped(), live(status="Stopped"))
    assert outcomes["file-gone"] and not outcomes["snapshot-deleted"]
    assert failures == {"snapshot-deleted": ("deleted-stopped-still-stopped", {})}
    started = [*deleted_while_stopped(), ev(11, "instance-started", file=False)]
    assert failed(started)[1] == {"snapshot-deleted": ("deleted-stopped", {})}


def test_following_the_deleted_while_stopped_hint_passes():
    """Take the snapshot again and delete it while the container runs."""
    es = [
        *deleted_while_stopped(),
        ev(11, "instance-started", file=False),
        ev(12, "instance-snapshot-created", snapshot=S, file=False, snapshots=[S]),
        ev(13, "instance-snapshot-deleted", snapshot=S, file=False),
    ]
    outcomes, failures = failed(es)
    assert outcomes["snapshot-deleted"] and "snapshot-deleted" not in failures


def percent(project: str = "default", stopped_delete: bool = False, **now: str) -> Graded:
    """The chapter with a snapshot named `x%y`; its delete left out, or made while stopped."""
    name = "x%y"
    es = [
        (
            Entry(**{**vars(e), "snapshot": name, "snapshots": [name] if e.snapshots else []})
            if e.snapshot or e.snapshots
            else e
        )
        for e in (deleted_while_stopped() if stopped_delete else chapter())
        if stopped_delete or e.action != "instance-snapshot-deleted"
    ]
    seen = live(**({} if stopped_delete else {"snapshots": {name: ""}}), **now)
    history = History(es, seen)
    base = LabResult(LAB.id, "lxd", LAB.instance, project, name)
    graded = Graded(LAB, Evidence(Container(), seen, history), base, {})
    run_checks(graded)
    return graded


PATH = "/1.0/instances/ubuntu-test/snapshots/x%2525y"


def test_a_percent_name_no_client_deletes_gets_the_api_path_that_works():
    graded = percent()
    assert graded.chain.failures == {"snapshot-deleted": ("undeletable-name", {"path": PATH})}
    other = percent("ko101-kim").chain.failures["snapshot-deleted"][1]["path"]
    assert other == f"{PATH}?project=ko101-kim"  # `query` takes no --project


def test_a_percent_name_deleted_while_stopped_is_told_to_delete_it_again_through_the_api():
    failures = percent(stopped_delete=True, status="Stopped").chain.failures
    reason = "deleted-stopped-still-stopped-named-with-percent"
    assert failures == {"snapshot-deleted": (reason, {"path": PATH})}
    failures = percent(stopped_delete=True).chain.failures
    assert failures == {"snapshot-deleted": ("deleted-stopped-named-with-percent", {"path": PATH})}


def logged(url: str) -> dict:
    return {
        "type": "logging",
        "timestamp": at(10),
        "metadata": {
            "message": "Handling API request",
            "context": {"ip": "@", "method": "GET", "protocol": "unix", "url": url},
        },
    }


def test_the_refused_delete_is_recorded_and_snaplabs_own_reads_are_not():
    session = Session("snapshots", "lxd", "default", "ubuntu-test")
    record = LAB.record

    def action(url: str) -> str | None:
        found = request_entry(logged(url), session, record)
        return found.action if found else None

    assert action("/1.0/instances/ubuntu-test") == "instance-read"
    assert action("/1.0/instances/ubuntu-test?recursion=1") == "info-requested"
    assert action(f"/1.0/instances/ubuntu-test?project=default&{OWN_QUERY}=1") is None
    assert action("/1.0/instances/ubuntu-test/snapshots/s1") is None
