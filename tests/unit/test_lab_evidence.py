"""The evidence timeline and the recorder's exec-end entries, fed by hand: no daemon."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from snaplab.lab.entries import EXEC_ENDED, OWN_MARK, exec_end_entry
from snaplab.lab.history import Live
from snaplab.lab.journal import Entry, Session
from tests.unit.graded import FILE, facts

CREATED = "2026-01-01T00:00:00.000000000Z"
T0 = datetime(2026, 1, 1, 0, 0, 1, tzinfo=UTC)
S = "snap"


def at(seconds: float) -> str:
    return (T0 + timedelta(seconds=seconds)).isoformat()


def start() -> Entry:
    return Entry(t=at(0), kind="start", created_at=CREATED, files={FILE: False}, status="Running")


def ev(seconds: float, action: str, file: bool | None = None, **kw) -> Entry:
    files = {} if file is None else {FILE: file}
    return Entry(t=at(seconds), kind="event", action=action, files=files, **kw)


def live(**kw) -> Live:
    return Live(
        **{"exists": True, "created_at": CREATED, "status": "Running", "files": {FILE: False}, **kw}
    )


def chapter(*, info: bool = True, running_restore: bool = False) -> list[Entry]:
    """The chapter, one event a second, as the recorder writes it."""
    es = [start(), ev(1, "instance-snapshot-created", snapshot=S, file=False, snapshots=[S])]
    if info:
        es.append(ev(2, "info-requested"))
    es += [
        ev(3, "instance-exec", file=False, snapshots=[S]),
        ev(3.1, EXEC_ENDED, file=True, snapshots=[S]),
    ]
    if running_restore:  # the daemon restarts a running container itself, then says restored
        es += [
            ev(4, "instance-started", file=False, snapshots=[S]),
            ev(4.001, "instance-restored", snapshot=S, file=False, snapshots=[S]),
        ]
    es += [
        ev(5, "instance-shutdown", file=True, snapshots=[S], status="Stopped"),
        ev(6, "instance-restored", snapshot=S, file=False, snapshots=[S], status="Stopped"),
        ev(7, "instance-started", file=False, snapshots=[S]),
        ev(8, "instance-exec", file=False, snapshots=[S]),
        ev(9, "instance-snapshot-deleted", snapshot=S, file=False),
    ]
    return es


def test_the_whole_chapter():
    f = facts(chapter(), live())
    assert f.snapshot == S and f.same_container
    assert None not in (f.taken, f.listed, f.touched, f.stopped, f.restored, f.started)
    assert f.looked is not None and f.deleted is not None
    assert f.touched == T0 + timedelta(seconds=3.1)  # seen when the shell ended


def test_a_skipped_info_leaves_every_later_fact_empty():
    f = facts(chapter(info=False), live())
    assert f.taken is not None and f.listed is None
    assert (f.touched, f.stopped, f.restored, f.started, f.looked, f.deleted) == (None,) * 6


def test_a_restore_while_running_then_stop_and_restore_counts():
    f = facts(chapter(running_restore=True), live())
    assert f.stopped == T0 + timedelta(seconds=5)
    assert f.restored == T0 + timedelta(seconds=6)
    assert f.deleted is not None


def test_a_restore_while_running_is_not_a_restore_of_the_stopped_container():
    es = chapter(running_restore=True)
    es = [e for e in es if e.when < T0 + timedelta(seconds=4.5)]
    es.append(ev(5, "instance-stopped", file=False, snapshots=[S], status="Stopped"))
    f = facts(es, live(status="Stopped"))
    assert f.stopped is not None and f.restored is None


def test_a_pasted_chapter_whose_probe_came_after_the_delete_still_looked():
    """The look's probe ran after the next command deleted the snapshot: order decides."""
    es = chapter()
    look = es[-2]
    es[-2] = ev(8, "instance-exec", file=False, snapshots=[])  # probed too late to list S
    assert look.action == "instance-exec"
    f = facts(es, live())
    assert f.looked == T0 + timedelta(seconds=8) and f.deleted is not None


def test_a_look_after_the_snapshot_was_deleted_does_not_count():
    es = [e for e in chapter() if e.action != "instance-snapshot-deleted"]
    es.insert(-1, ev(7.5, "instance-snapshot-deleted", snapshot=S, file=False))
    f = facts(es, live())
    assert f.started is not None and f.looked is None


def test_events_of_starts_own_boot_written_after_its_entry_do_not_count():
    """A re-created container: its boot is logged after `start`'s entry, with an earlier time."""
    boot = Entry(t=at(-0.05), kind="event", action="instance-started", files={FILE: False})
    es = chapter()
    f = facts([es[0], boot, *es[1:]], live())
    assert f.same_container and f.deleted is not None


def test_an_old_containers_evidence_does_not_count():
    old = chapter()
    new = Entry(t=at(20), kind="start", created_at="2026-01-01T00:00:19Z", files={FILE: False})
    f = facts([*old, new], live(created_at=new.created_at))
    assert f.same_container and f.taken is None and f.snapshot == ""


def test_the_file_counts_from_the_snapshot_not_from_the_info():
    """The exec's own probe may already see the file: the snapshot's probe saw it absent."""
    es = chapter()
    es[3] = ev(3, "instance-exec", file=True, snapshots=[S])  # probed after the touch
    restored = next(i for i, e in enumerate(es) if e.action == "instance-restored")
    es[restored].files = {}  # and the restore's probe could not tell
    f = facts(es, live())
    assert f.touched == T0 + timedelta(seconds=3) and f.deleted is not None


def test_a_file_made_again_fails_the_look_and_leaves_later_steps_unproven():
    """Evidence found before a later assert failed proves nothing: the next step waits."""
    f = facts(chapter(), live(files={FILE: True}))
    assert f.outcomes["file-gone"] is False and f.looked is None
    assert f.outcomes["snapshot-deleted"] is False and f.deleted is None


def test_a_container_stopped_at_the_end_fails_only_the_last_step():
    f = facts(chapter(), live(status="Stopped"))
    assert f.deleted is not None and f.outcomes["delete-refused"] is False


# -- the recorder's exec-end entries ----------------------------------------------------------


SESSION = Session("snapshots", "lxd", "default", "ubuntu-test")


def op(status: str = "Success", cls: str = "websocket", command=("bash",), **kw) -> dict:
    meta = {
        "class": cls,
        "status": status,
        "resources": {"instances": [kw.pop("instance", "/1.0/instances/ubuntu-test")]},
        "metadata": {"command": list(command), "return": 0} if command else {"return": 0},
    }
    return {
        "type": "operation",
        "timestamp": "2026-01-01T00:00:03.5Z",
        "project": kw.pop("project", "default"),
        "metadata": meta,
    }


def test_the_end_of_a_learners_shell_is_an_entry():
    e = exec_end_entry(op(), SESSION)
    assert e is not None and e.action == EXEC_ENDED and e.kind == "event"
    assert e.t == "2026-01-01T00:00:03.5Z"
    assert exec_end_entry(op(status="Failure"), SESSION) is not None


def test_what_is_not_the_end_of_a_learners_shell_is_ignored():
    for event in (
        op(status="Running"),
        op(cls="task"),  # snaplab's own record-output execs
        op(command=None),  # a console, not an exec
        op(command=("/bin/sh", "-c", "test -e x", OWN_MARK)),
        op(instance="/1.0/instances/other"),
        op(instance="/1.0/instances/ubuntu-test-2"),
        op(project="elsewhere"),
    ):
        assert exec_end_entry(event, SESSION) is None, event
    assert exec_end_entry(op(instance="/1.0/instances/ubuntu-test?project=default"), SESSION)


def test_the_snapshot_followed_is_the_learners_not_the_schedulers():
    from snaplab.lab.history import History

    es = [e for e in chapter() if e.action != "instance-restored"]
    es.append(ev(9.5, "instance-snapshot-created", snapshot="auto-1", by="scheduler"))
    history = History(es, live(snapshots={S: "", "auto-1": ""}))
    assert history.chosen_snapshot() == S
