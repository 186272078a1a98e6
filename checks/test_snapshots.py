"""Chapter 8, graded: one check per step of labs/snapshots/lab.yaml, in its order.

Each check is the step's rule. The fixtures (snaplab's pytest plugin) are:
- `history`: what the journal proves happened (snaplab/lab/history.py);
- `container` (unused here): the lab container as a testinfra host (`container.file(...)`);
- `step`: `step.since` is when the previous step was proven, and `step.proven(when)`
  records this step's evidence (a check runs only once the previous step is proven);
- `snapshot`: the snapshot the learner used (any name will do), `params`: the lab's names.
"""

import pytest

from snaplab.rules import STOPPED, TICK


@pytest.mark.step("snapshot-taken")
def test_snapshot_taken(history, step, snapshot):
    """A snapshot created after the lab started."""
    step.proven(history.first("instance-snapshot-created", after=step.since, snapshot=snapshot))


@pytest.mark.step("snapshot-listed")
def test_snapshot_listed(history, step, snapshot):
    """`info` requested (the daemon logged the request) while the snapshot existed."""
    deleted = history.first("instance-snapshot-deleted", after=step.since, snapshot=snapshot)
    step.proven(history.first("info-requested", after=step.since, before=deleted))


@pytest.mark.step("file-touched")
def test_file_touched_after_snapshot(history, step, snapshot, params):
    """The file seen after the snapshot (not only after the `info`) and not in it: seen absent
    after the snapshot before it appeared, or made absent again by restoring that snapshot."""
    taken = step.at("snapshot-taken")
    seen = history.sightings(params.file, after=taken - TICK)
    for i, e in enumerate(seen):
        if not (e.files[params.file] and e.when > taken):
            continue
        absent_before = any(p.files[params.file] is False for p in seen[:i])
        undone = history.events(
            "instance-restored",
            after=e.when,
            snapshot=snapshot,
            where=lambda r: r.files.get(params.file) is False,
        )
        if absent_before or undone:
            step.proven(e.when)
            return
    step.proven(None)


@pytest.mark.step("container-stopped")
def test_stopped_after_the_change(history, step):
    """Stopped at or after the change (the probe that saw the file may be the stop's own).
    A restore made while running does not bar a later stop: that is what its hint asks for."""
    step.proven(history.first(*STOPPED, after=step.since - TICK))


@pytest.mark.step("snapshot-restored")
def test_restored_while_stopped(history, step, snapshot):
    """That snapshot restored into the stopped container (a restore while running is
    preceded by the daemon's own start)."""
    step.proven(
        history.first(
            "instance-restored",
            after=step.since,
            snapshot=snapshot,
            where=lambda r: not history.running_at(r.when),
        )
    )


@pytest.mark.step("container-started")
def test_started_after_restore(history, step):
    step.proven(history.first("instance-started", after=step.since))


@pytest.mark.step("file-gone")
def test_file_gone_after_restore(history, step, snapshot, params):
    """A learner's own look inside (not snaplab's), which saw no file, while the snapshot
    still existed; and it stays gone: a file created again later would undo the lesson.
    (`history.live` is what `check` saw as it began: through testinfra in a running
    container, through the files API in a stopped one, where nothing can be run.)"""
    step.proven(
        history.first(
            "instance-exec",
            after=step.since,
            where=lambda e: (
                not e.own
                and e.files.get(params.file) is False
                and history.existed(snapshot, e.when)
            ),
        )
    )
    assert history.live.files.get(params.file) is False


@pytest.mark.step("snapshot-deleted")
def test_snapshot_deleted_while_running(history, step, snapshot):
    step.proven(
        history.first(
            "instance-snapshot-deleted",
            after=step.since,
            snapshot=snapshot,
            where=lambda d: history.running_at(d.when),
        )
    )
    assert snapshot not in history.live.snapshots


@pytest.mark.step("delete-refused")
def test_container_survived(history, step):
    """Still the container `start` made: not deleted and re-created, running and protected."""
    live = history.live
    assert history.same_instance and live.status == "Running" and live.protected
    step.done()
