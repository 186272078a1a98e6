"""Chapter 9 done for real, as the book's users, on both daemons and their snapshot servers.

Each run is a learner of tests/integration/server_learner.py, with a client config of
their own. The schedule step waits for the daemons' scheduler (once a
minute): the two backends run side by side, on two xdist workers. Those waits are also where
the recorder is seen to tell the daemon's own snapshots (its scheduler's, by the pattern, and
its pruner's deletions) from the learner's, on real daemons (`by_whom`): one wait a daemon,
not two (a test of its own cost each worker 80 to 100 s of CI).
"""

from __future__ import annotations

import pytest

from snaplab.backends import get_backend
from snaplab.errors import ExitCode
from snaplab.host import snapshot_server
from snaplab.lab import journal
from snaplab.lab.model import load
from snaplab.lab.runner import PROTECT
from tests.integration.server_learner import Learner
from tests.integration.server_learner import started as learner

pytestmark = pytest.mark.integration

LAB = load("snapshot-server")
STEPS = [s.id for s in LAB.steps]


def started(backend: str):  # type: ignore[no-untyped-def]
    return learner(LAB, backend)


def by_whom(me: Learner) -> None:
    """The journal says who made and deleted each snapshot: the learner's own by no one but
    them, the scheduler's named by the pattern, each deleted by the pruner once it expired."""
    events = [e for e in journal.read(me.journal) if e.kind == "event"]
    mine = [e for e in events if e.snapshot == LAB.snapshot]
    assert mine and mine[0].action == "instance-snapshot-created" and mine[0].by == "", mine
    made = [e for e in events if e.by == "scheduler"]
    assert made and all(e.action == "instance-snapshot-created" for e in made), made
    prefix = me.param("pattern").split("{{")[0].replace("{instance}", me.instance)
    assert all(e.snapshot.startswith(prefix) for e in made), made
    gone = [e for e in events if e.by == "pruner"]
    assert all(e.action == "instance-snapshot-deleted" for e in gone), gone
    # some of the scheduler's, not its first: a run that spans the book's 20:50 has a first
    # snapshot with the book's expiry of a day
    when = {e.snapshot: e.when for e in made}
    pruned = [e for e in gone if e.snapshot in when]
    assert pruned and all(e.when > when[e.snapshot] for e in pruned), (made, gone)
    assert made[0].snapshot in made[0].snapshots


# One solve of this chapter per daemon, each three to four minutes of CI (the scheduler runs
# once a minute): from scratch on Incus, and on LXD the redo, whose first run need only leave
# what a redo meets (the learner's remote and trust, which finish leaves by design).
@pytest.mark.parametrize("backend", ["incus"])
def test_solve_earns_full_marks_and_finish_removes_the_servers_copy(backend):
    server = snapshot_server.client(get_backend(backend))
    with started(backend) as me:
        solve = me.snaplab("solve", LAB.id)
        assert solve.rc == 0, solve.err
        assert "already done" not in solve.err
        assert set(me.grade().values()) == {"pass"}
        by_whom(me)
        assert server.instances.exists(me.instance)  # the copy, on the snapshot server
        finish = me.snaplab("finish", LAB.id)
        assert finish.rc == 0, finish.err
        assert finish.out.strip() == f"removed: {me.instance}, snapshot-server:{me.instance}"
        assert not server.instances.exists(me.instance)


@pytest.mark.parametrize("backend", ["lxd"])
def test_done_again_after_finish_solve_skips_the_remote_and_earns_full_marks(backend):
    """As a learner redoes a lab: the second run's first two steps pass at once and solve
    skips them (`remote add` would say the remote exists)."""
    with started(backend) as me:
        me.type_until("remote-added")
        finish = me.snaplab("finish", LAB.id)
        assert finish.rc == 0 and finish.out.strip() == f"removed: {me.instance}", finish.err
        assert me.snaplab("start", LAB.id).rc == 0
        again = me.snaplab("solve", LAB.id)
        assert again.rc == 0, again.err
        assert "token-made: already done" in again.err and "remote-added: already done" in again.err
        assert "remote add" not in again.err
        assert set(me.grade().values()) == {"pass"}
        by_whom(me)


@pytest.mark.parametrize("backend", ["lxd", "incus"])
def test_a_copy_on_the_server_from_before_stops_start_and_is_left(backend):
    """The lab declares its copy (`resources: instances`): one of that name on the snapshot
    server that this run did not make is met by start, in one line, not by the copy step
    ("already exists"), and finish names it as left, never removes it."""
    me = Learner(LAB, backend)
    server = snapshot_server.client(me.backend)
    if not snapshot_server.status(me.backend).answering:
        pytest.skip(f"no {backend} snapshot server")
    server.instances.create({"name": me.instance, "source": {"type": "none"}}, wait=True)
    try:
        r = me.snaplab("start", LAB.id)
        assert r.rc == ExitCode.CONFLICT and len(r.lines) == 1, r.err
        assert f"snapshot-server:{me.instance} is already there" in r.err, r.err
        r = me.snaplab("finish", LAB.id)
        assert r.rc == 0 and r.out.splitlines()[1].startswith(
            f"left snapshot-server:{me.instance}: snaplab did not make it"
        ), r.out
        assert server.instances.exists(me.instance)
    finally:
        server.instances.get(me.instance).delete(wait=True)
        me.forget()


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
        assert server.instances.get(f"{me.instance}-elsewhere").config[PROTECT] == "true"
    assert not server.instances.exists(f"{me.instance}-elsewhere")  # finish removed it too
