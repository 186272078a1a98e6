"""Chapter 9 done for real, as the book's users, on both daemons and their snapshot servers.

Each run is a learner of tests/integration/server_learner.py, with a client config of
their own. The schedule step waits for the daemons' scheduler (once a
minute): the two backends run side by side.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

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


def solved(backend: str) -> tuple[dict[str, str], bool, bool]:
    """The grades after `solve`; whether the copy was on the snapshot server during the lab,
    and whether it still is after `finish`."""
    with started(backend) as me:
        solve = me.snaplab("solve", LAB.id)
        assert solve.rc == 0, solve.err
        grades = me.grade()
        server = snapshot_server.client(me.backend)
        during = server.instances.exists(me.instance)
    return grades, during, server.instances.exists(me.instance)


def test_solve_earns_full_marks_on_both_daemons_and_finish_removes_both_copies():
    with ThreadPoolExecutor(2) as pool:
        runs = dict(zip(("lxd", "incus"), pool.map(solved, ("lxd", "incus")), strict=True))
    for backend, (grades, during, after) in runs.items():
        assert set(grades.values()) == {"pass"}, (backend, grades)
        assert during and not after, backend  # finish removed the lab's copy


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
