"""The evidence rules on synthetic journals: order matters, skipped steps leave gaps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from snaplab.lab.history import Live
from snaplab.lab.journal import Entry
from tests.unit.graded import FILE
from tests.unit.graded import facts as graded_facts

T0 = datetime(2026, 1, 1, tzinfo=UTC)
CREATED = "2026-01-01T00:00:00Z"


def at(seconds: float) -> str:
    return (T0 + timedelta(seconds=seconds)).isoformat()


def ev(sec, action, snapshot="", file=None, snaps=("s1",), own=False):
    return Entry(
        t=at(sec),
        kind="event",
        action=action,
        snapshot=snapshot,
        files={} if file is None else {FILE: file},
        snapshots=list(snaps),
        own=own,
    )


def chapter(snapshot="s1"):
    """The journal the recorder writes for the chapter done right."""
    return [
        Entry(t=at(0), kind="start", created_at=CREATED, files={FILE: False}),
        ev(1, "instance-snapshot-created", snapshot, file=False, snaps=(snapshot,)),
        ev(2, "info-requested"),
        ev(3, "instance-exec", file=False, snaps=(snapshot,)),
        ev(6, "instance-shutdown", file=True, snaps=(snapshot,)),
        ev(7, "instance-restored", snapshot, file=False, snaps=(snapshot,)),
        ev(8, "instance-started", file=False, snaps=(snapshot,)),
        ev(9, "instance-exec", file=False, snaps=(snapshot,)),
        ev(10, "instance-snapshot-deleted", snapshot, file=False, snaps=()),
    ]


LIVE = Live(exists=True, created_at=CREATED, status="Running", protected=True, files={FILE: False})


def facts(entries, live=LIVE):
    return graded_facts(entries, live)


def test_the_chapter_done_right_proves_every_step():
    f = facts(chapter())
    assert f.snapshot == "s1"
    assert f.taken < f.listed < f.touched <= f.stopped < f.restored < f.started < f.looked
    assert f.deleted > f.looked and f.same_container


def test_any_snapshot_name_is_followed():
    assert facts(chapter("before-update")).snapshot == "before-update"
    assert facts(chapter("before-update")).deleted is not None


def test_no_file_seen_leaves_touch_and_everything_after_unproven():
    entries = [e for e in chapter() if not (e.action == "instance-shutdown")]
    entries.append(ev(6, "instance-shutdown", file=False))
    f = facts(entries)
    assert f.taken and f.listed and f.touched is None and f.stopped is None


def test_a_file_made_before_the_snapshot_does_not_count():
    entries = chapter()
    entries[1].files = {FILE: True}  # already there when the snapshot was taken
    entries[0].files = {FILE: True}
    entries[5].files = {FILE: True}  # and the restore kept it
    entries[3].files = {FILE: True}
    f = facts(entries)
    assert f.touched is None


def test_restore_while_running_is_not_the_stopped_restore():
    entries = [e for e in chapter() if e.action != "instance-shutdown"]
    # running restore: LXD emits started before restored
    entries.insert(4, ev(6.5, "instance-started", file=True))
    entries.insert(4, ev(5, "instance-exec", file=True))
    f = facts(entries)
    assert f.touched is not None and f.stopped is None and f.restored is None


def test_looking_requires_a_learner_exec_not_snaplabs_own():
    entries = [
        e
        for e in chapter()
        if not (e.action == "instance-exec" and e.when > T0 + timedelta(seconds=8))
    ]
    entries.append(ev(9, "instance-exec", file=False, own=True))
    f = facts(entries)
    assert f.started is not None and f.looked is None and f.deleted is None


def test_deleting_the_snapshot_while_stopped_does_not_count():
    entries = chapter()[:-1] + [
        ev(9.5, "instance-shutdown", file=False),
        ev(10, "instance-snapshot-deleted", "s1", file=False, snaps=()),
    ]
    assert facts(entries).deleted is None


def test_info_before_the_snapshot_is_not_looking_at_it():
    entries = chapter()
    entries[2] = ev(0.5, "info-requested")
    assert facts(entries).listed is None


def test_a_recreated_container_loses_the_old_evidence():
    live = Live(exists=True, created_at="2026-01-01T01:00:00Z", status="Running", protected=True)
    entries = chapter() + [Entry(t=at(20), kind="start", created_at=live.created_at)]
    f = facts(entries, live)
    assert f.taken is None and f.same_container


def test_a_container_not_started_by_the_lab_has_no_evidence():
    live = Live(exists=True, created_at="1999-01-01T00:00:00Z", status="Running")
    f = facts(chapter(), live)
    assert f.taken is None and not f.same_container


def test_daemon_nanosecond_timestamps_parse():
    e = Entry(t="2026-11-25T18:41:51.890602094Z", kind="event")
    assert e.when.microsecond == 890602 and e.when.tzinfo is not None
