"""Every lab of the built-in pack that needs no second daemon, through the same public fixture a
pack's own tests use (snaplab.testing's `lab_learner`): 0 when started, full marks once each
step's commands are typed as the guide shows them. Chapters 9 and 10 need the snapshot server
and a client configuration of their own: tests/integration/server_learner.py does them."""

from __future__ import annotations

from pathlib import Path

import pytest

from snaplab.backends import NAMES
from snaplab.lab.model import Lab, lab_ids, load, placeholders

pytestmark = pytest.mark.integration

ALONE = [lab for lab in lab_ids() if not load(lab).daemons]


@pytest.mark.parametrize("backend", NAMES)
@pytest.mark.parametrize("lab_id", ALONE)
def test_the_guide_takes_a_lab_from_zero_to_full_marks(lab_learner, lab_id, backend):
    me = lab_learner(lab_id, backend)
    made = host_paths(me.lab, backend, me.instance)
    made -= {p for p in made if p.exists()}
    try:
        assert me.score() == 0
        for step in me.lab.steps:
            me.do(step.id)
        assert me.score() == me.lab.max_score, me.statuses()
    finally:
        for path in made:  # as root in the book's user's home: theirs to write, not ours
            path.unlink(missing_ok=True)


def host_paths(lab: Lab, backend: str, instance: str) -> set[Path]:
    """Files the lab's commands write on this machine (the backups lab's export): the
    absolute paths its parameters name that are not paths in its container."""
    names = placeholders(lab, backend, instance, lab.snapshot).values()
    return {Path(v) for v in names if v.startswith("/") and v not in lab.record.files}
