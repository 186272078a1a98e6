"""Chapter 10 done for real, as the book's users, on both daemons and their snapshot servers.

Each run is a learner of tests/integration/server_learner.py, with a client config of
their own. Chapter 10 also writes the user's crontab and /usr/local/sbin/refreshcontainers.sh,
one of each on this machine: they are put back as they were, and the tests run one after
another (solve takes about a second).
"""

from __future__ import annotations

import subprocess
import uuid

import pytest

from snaplab.backends import get_backend
from snaplab.errors import ExitCode
from snaplab.host import snapshot_server
from snaplab.host.image import ALIAS
from snaplab.lab.model import load
from snaplab.lab.player import script
from tests.integration.server_learner import Learner, started

pytestmark = pytest.mark.integration

LAB = load("automating")


def step_of(report: dict, step_id: str) -> dict:
    return next(s for s in report["steps"] if s["id"] == step_id)


@pytest.mark.parametrize("backend", ["lxd", "incus"])
def test_solve_earns_full_marks_and_the_books_refresh_springs_the_trap(backend):
    with started(LAB, backend) as me:
        solve = me.snaplab("solve", LAB.id)
        assert solve.rc == 0, solve.err
        assert set(me.grade().values()) == {"pass"}
        # the book's own command, without -c boot.autostart=false: the copy's config is the
        # source's again, and the trap step fails with its hint (relay mode, as the lab's:
        # a repeated refresh in pull mode may fail with "ETag doesn't match", lab.yaml says why)
        cli, remote = me.backend.cli, me.param("remote")
        me.type(f"{cli} copy --refresh {me.instance} {remote}:{me.instance} --mode=relay")
        report = me.report()
        trap = step_of(report, "autostart-kept")
        assert trap["status"] == "fail" and "boot.autostart 0" in trap["hint"], trap
        # and set again on the snapshot server, it passes
        server = me.param("server")
        me.type(f"{server} {cli} config set {me.instance} boot.autostart 0")
        assert set(me.grade().values()) == {"pass"}


@pytest.mark.parametrize("backend", ["lxd", "incus"])
def test_a_crontab_without_a_log_or_one_cron_refuses_is_not_passed(backend):
    with started(LAB, backend) as me:
        me.type_until("script-made")
        script_path = me.param("script")
        me.type("crontab -", (f"00 22 * * * {script_path}",))  # no log
        grades = me.grade()
        assert grades["script-made"] == "pass" and grades["cron-set"] == "fail", grades
        refused = me.player().type("crontab -", (f"60 22 * * * {script_path} > log 2>&1",))
        assert refused.returncode != 0  # cron's own check: bad minute, nothing installed
        report = me.report()
        cron = step_of(report, "cron-set")
        assert cron["status"] == "fail" and "minute 0-59" in cron["hint"], cron
        assert all(s["status"] == "pending" for s in report["steps"][3:]), report


@pytest.mark.parametrize("backend", ["lxd", "incus"])
def test_skipping_the_run_by_hand_is_not_passed(backend):
    """The script copies every container the learner has; the refresh of step 5 copies only
    the lab's. So with a second container (the test's own, as a learner may have one, and
    whatever else a person left there), the refresh cannot stand in for the script's run."""
    cli = get_backend(backend).cli
    other = f"fx-ch10-other-{backend}-{uuid.uuid4().hex[:6]}"
    subprocess.run([cli, "init", ALIAS, other, "--quiet"], check=True, capture_output=True)
    try:
        with started(LAB, backend) as me:
            me.type_until("autostart-kept", skip="run-by-hand")
            grades = me.grade()
    finally:
        subprocess.run([cli, "delete", "--force", other], capture_output=True)
    assert grades["run-by-hand"] == "fail", grades
    assert grades["snapshot-refreshed"] == grades["autostart-kept"] == "pending", grades


@pytest.mark.parametrize("backend", ["lxd", "incus"])
def test_a_used_token_or_the_remote_under_another_name_is_not_passed(backend):
    with started(LAB, backend) as me:
        token_line = script(LAB, backend, me.instance, LAB.snapshot)[0]
        cli, remote = me.backend.cli, me.param("remote")
        other = Learner(LAB, backend)  # another client uses the token first
        try:
            assert other.player().play(token_line).returncode == 0
            used = token_line.params["token"]
            other.type(f"{cli} remote add {remote} {used}")
            spent = me.player().type(f"{cli} remote add {remote} {used}")
            assert spent.returncode != 0, spent.stdout
            ready = step_of(me.report(), "remote-ready")
            assert ready["status"] == "fail" and "used token" in ready["hint"], ready
            assert me.player().play(token_line).returncode == 0  # a fresh token
            me.type(f"{cli} remote add {remote}-backup {token_line.params['token']}")
            ready = step_of(me.report(), "remote-ready")
            assert ready["status"] == "fail" and f"named {remote}" in ready["hint"], ready
        finally:
            other.forget()


def test_a_snapshot_server_that_is_down_is_one_line_for_start_and_check():
    """Not a failed step with a hint about the script: the daemon to start, and how. One
    daemon suffices: which server is down is the registry's (snaplab/daemons)."""
    with started(LAB, "lxd") as me:
        assert snapshot_server.stop(me.backend)
        try:
            for verb in ("check", "start"):
                r = me.snaplab(verb, LAB.id)
                assert r.rc == ExitCode.DAEMON_DOWN, (verb, r.out, r.err)
                assert len(r.lines) == 1 and "--snapshot-server" in r.err, (verb, r.err)
        finally:
            assert snapshot_server.start(me.backend)


@pytest.mark.parametrize("backend", ["lxd", "incus"])
def test_solve_after_chapter_9s_remote_skips_what_was_done(backend):
    """A learner coming from chapter 9 has the remote: typing `remote add` again would fail
    ("already exists"), so solve leaves the steps that already pass."""
    with started(LAB, backend) as me:
        me.type_until("remote-ready")
        solve = me.snaplab("solve", LAB.id)
        assert solve.rc == 0, solve.err
        assert "remote-ready: already done" in solve.err and "remote add" not in solve.err
        assert set(me.grade().values()) == {"pass"}


def test_starting_chapter_10_over_chapter_9s_container_says_to_finish_chapter_9():
    """Both chapters name their container rockylinux-test-9: a learner who goes on without
    `finish` meets chapter 9's, which snaplab did make, and is told so, in one line."""
    with started(load("snapshot-server"), "lxd") as me:
        r = me.snaplab("start", LAB.id)
        assert r.rc == ExitCode.CONFLICT, r.err
        assert len(r.lines) == 1 and "snaplab finish snapshot-server" in r.err, r.err


@pytest.mark.parametrize("backend", ["lxd", "incus"])
def test_done_twice_the_crontab_runs_the_script_once_and_keeps_the_rest(backend):
    """The cron step typed twice, then the whole lab again after finish (solve): one line
    runs the script, so it runs once a night, and the learner's other lines stay."""
    with started(LAB, backend) as me:
        mine = "30 1 * * * /bin/true # the learner's own"
        me.type("crontab -", (mine,))
        me.type_until("cron-set")
        for line in script(LAB, backend, me.instance, LAB.snapshot):
            if line.step == "cron-set":
                assert me.player().play(line).returncode == 0, line.text
        assert me.grade()["cron-set"] == "pass"
        assert me.snaplab("finish", LAB.id).rc == 0
        assert me.snaplab("start", LAB.id).rc == 0
        solve = me.snaplab("solve", LAB.id)
        assert solve.rc == 0, solve.err
        assert set(me.grade().values()) == {"pass"}
        listed = me.player().type("crontab -l").stdout.splitlines()
        assert [x for x in listed if me.param("script") in x] == [
            f"{me.param('nightly')} {me.param('script')} > {me.param('log')} 2>&1"
        ], listed
        assert mine in listed
