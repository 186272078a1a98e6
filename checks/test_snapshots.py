"""Chapter 8, graded: one test per step, each asserting on evidence from the daemon.

`facts` is what the evidence journal proves happened, in order (see
snaplab/lab/evidence.py); `live` is what the daemon and the container show
right now (read through testinfra over the REST API, see runner.observe).
"""

import pytest


@pytest.mark.step("snapshot-taken")
def test_snapshot_taken(facts):
    assert facts.taken is not None


@pytest.mark.step("snapshot-listed")
def test_snapshot_listed(facts):
    assert facts.listed is not None and facts.listed > facts.taken


@pytest.mark.step("file-touched")
def test_file_touched_after_snapshot(facts):
    assert facts.touched is not None and facts.touched > facts.taken


@pytest.mark.step("container-stopped")
def test_stopped_before_restore(facts):
    assert facts.stopped is not None and facts.stopped >= facts.touched


@pytest.mark.step("snapshot-restored")
def test_restored_while_stopped(facts):
    assert facts.restored is not None and facts.restored > facts.stopped


@pytest.mark.step("container-started")
def test_started_after_restore(facts):
    assert facts.started is not None and facts.started > facts.restored


@pytest.mark.step("file-gone")
def test_file_gone_after_restore(facts, live):
    assert facts.looked is not None and facts.looked > facts.started
    # and it stays gone: a file created again later would undo the lesson
    assert live.file is False


@pytest.mark.step("snapshot-deleted")
def test_snapshot_deleted_while_running(facts, live):
    assert facts.deleted is not None and facts.deleted > facts.looked
    assert facts.snapshot not in live.snapshots


@pytest.mark.step("delete-refused")
def test_container_survived(facts, live):
    assert facts.deleted is not None
    assert facts.same_container and live.status == "Running" and live.protected
