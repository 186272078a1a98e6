"""golden-copy, graded: only snaplab.rules' fixtures and helpers, as any pack's checks."""

import pytest
from pylxd.exceptions import NotFound

from snaplab.rules import parse_time


@pytest.mark.step("snapshot-taken")
def test_snapshot_taken(history, step):
    step.proven(history.first("instance-snapshot-created", after=step.since))


@pytest.mark.step("snapshot-renamed")
def test_snapshot_renamed(history, step, params):
    step.proven(history.first("instance-snapshot-renamed", after=step.since))
    assert params.golden in history.live.snapshots


@pytest.mark.step("golden-copied")
def test_golden_copied(daemons, step, params):
    """A container of that name, made after the rename (not one left from before)."""
    try:
        copy = daemons["primary"].instances.get(params.copy)
    except NotFound:
        copy = None
    assert copy is not None and parse_time(copy.created_at) > step.since
    step.done()
