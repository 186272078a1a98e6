"""Every lab of the built-in pack that needs no second daemon, through the same public fixture a
pack's own tests use (snaplab.testing's `lab_learner`): 0 when started, full marks once each
step's commands are typed as the guide shows them. Chapters 9 and 10 need the snapshot server
and a client configuration of their own: tests/integration/server_learner.py does them."""

from __future__ import annotations

import pytest

from snaplab.backends import NAMES
from snaplab.lab.model import lab_ids, load

pytestmark = pytest.mark.integration

ALONE = [lab for lab in lab_ids() if not load(lab).daemons]


@pytest.mark.parametrize("backend", NAMES)
@pytest.mark.parametrize("lab_id", ALONE)
def test_the_guide_takes_a_lab_from_zero_to_full_marks(lab_learner, lab_id, backend):
    me = lab_learner(lab_id, backend)
    assert me.score() == 0
    for step in me.lab.steps:
        me.do(step.id)
    assert me.score() == me.lab.max_score, me.statuses()
