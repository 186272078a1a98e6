"""Chapter 9 done for real, as the book's users, on both daemons and their snapshot servers.

Each run is a learner of tests/integration/server_learner.py, with a client config of
their own. The schedule step waits for the daemons' scheduler (once a
minute): the two backends run side by side, on two xdist workers.
"""

from __future__ import annotations

import pytest

from snaplab.host import snapshot_server
from snaplab.lab.model import load
from snaplab.lab.runner import remove_owned
from tests.integration.server_learner import started as learner

pytestmark = pytest.mark.integration

LAB = load("snapshot-server")
STEPS = [s.id for s in LAB.steps]


def started(backend: str):  # type: ignore[no-untyped-def]
    return learner(LAB, backend)


@pytest.mark.parametrize("backend", ["lxd", "incus"])
def test_solve_earns_full_marks_and_finish_removes_the_copy(backend):
    with started(backend) as me:
        solve = me.snaplab("solve", LAB.id)
        assert solve.rc == 0, solve.err
        grades = me.grade()
        server = snapshot_server.client(me.backend)
        assert server.instances.exists(me.instance)  # the copy, on the snapshot server
    assert set(grades.values()) == {"pass"}, grades
    assert not server.instances.exists(me.instance)  # finish removed the lab's copy


@pytest.mark.parametrize("backend", ["lxd", "incus"])
def test_a_skipped_step_or_a_copy_under_another_name_is_not_passed(backend):
    with started(backend) as me:
        me.type_until("server-listed")  # autostart-off skipped
        grades = me.grade()
        assert [grades[s] for s in STEPS[:5]] == ["pass"] * 5, grades
        assert grades["autostart-off"] == "fail" and grades["schedule-set"] == "pending"
    with started(backend) as me:
        cli = me.backend.cli
        copy = f"{cli} copy {me.instance}/{LAB.snapshot} {LAB.params['remote'][backend]}:"
        me.type_until("copied", {f"{copy}{me.instance}": f"{copy}{me.instance}-elsewhere"})
        grades = me.grade()
        assert grades["copied"] == "fail", grades
        server = snapshot_server.client(me.backend)  # the copy is the lab's, and protected
        assert remove_owned(server, f"{me.instance}-elsewhere", LAB)
