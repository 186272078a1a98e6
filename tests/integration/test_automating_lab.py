"""Chapter 10 done for real, as the book's users, on both daemons and their snapshot servers.

As in chapter 9's test, each run has a client config of its own (LXD_CONF / INCUS_CONF), so
the remote and its trust are never the user's own. Chapter 10 also writes the user's
crontab and /usr/local/sbin/refreshcontainers.sh, one of each on this machine: they are put
back as they were (snaplab/host/keep.py), and the two daemons take turns.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from snaplab.backends import get_backend
from snaplab.host import snapshot_server
from snaplab.host.keep import kept
from snaplab.lab.model import load
from snaplab.lab.player import Player, script
from tests.conftest import Run, snaplab

pytestmark = pytest.mark.integration

LAB = load("automating")
STEPS = [s.id for s in LAB.steps]


class Learner:
    def __init__(self, backend: str) -> None:
        self.backend = get_backend(backend)
        self.instance = f"ch10-{backend}-{uuid.uuid4().hex[:6]}"
        self.conf = Path(tempfile.mkdtemp(prefix="ch10-conf-", dir="/tmp"))
        shutil.chown(self.conf, self.backend.user, self.backend.user)
        self.conf.chmod(0o700)
        self.param = dict(LAB.params)

    @property
    def env(self) -> dict[str, str]:
        return {self.backend.conf_env: str(self.conf)}

    def snaplab(self, *args: str) -> Run:
        where = ("--backend", self.backend.name, "--instance", self.instance)
        return snaplab(*args, *where, user=self.backend.user, env=self.env)

    def report(self) -> dict:
        return json.loads(self.snaplab("check", LAB.id, "--json").out)

    def grade(self) -> dict[str, str]:
        return {s["id"]: s["status"] for s in self.report()["steps"]}

    def player(self) -> Player:
        return Player(user=self.backend.user, env={**_base_env(), **self.env}, cwd="/tmp")

    def type(self, line: str, stdin: tuple[str, ...] = ()) -> None:
        done = self.player().type(line, stdin)
        assert done.returncode == 0, (line, done.stderr)

    def type_until(self, last: str, skip: str | None = None) -> None:
        """The guide's lines up to and including step `last`, less step `skip`'s."""
        lines = script(LAB, self.backend.name, self.instance, LAB.snapshot)
        player = self.player()
        for line in lines[: max(i for i, x in enumerate(lines) if x.step == last) + 1]:
            if line.step != skip:
                done = player.play(line)
                assert done.returncode == 0, (line.text, done.stderr)


def _base_env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "XDG_STATE_HOME")}


@contextmanager
def started(backend: str) -> Iterator[Learner]:
    if not snapshot_server.status(get_backend(backend)).answering:
        pytest.skip(f"no {backend} snapshot server: `snaplab host setup --snapshot-server`")
    me = Learner(backend)
    server = snapshot_server.client(me.backend)
    try:
        with kept(me.backend.user, LAB.host_files):
            r = me.snaplab("start", LAB.id)
            assert r.rc == 0, r.err
            yield me
    finally:
        r = me.snaplab("finish", LAB.id)
        snapshot_server.forget(me.backend, me.conf)
        shutil.rmtree(me.conf, ignore_errors=True)
        assert r.rc == 0, r.err
        assert not server.instances.exists(me.instance)  # finish removed the lab's copy


@pytest.mark.parametrize("backend", ["lxd", "incus"])
def test_solve_earns_full_marks_and_the_books_refresh_springs_the_trap(backend):
    with started(backend) as me:
        solve = me.snaplab("solve", LAB.id)
        assert solve.rc == 0, solve.err
        assert set(me.grade().values()) == {"pass"}
        # the book's own command, without -c boot.autostart=false: the copy's config is the
        # source's again, and the trap step fails with its hint
        cli, remote = me.backend.cli, me.param["remote"][backend]
        me.type(f"{cli} copy --refresh {me.instance} {remote}:{me.instance}")
        report = me.report()
        trap = next(s for s in report["steps"] if s["id"] == "autostart-kept")
        assert trap["status"] == "fail" and "boot.autostart 0" in trap["hint"], trap
        # and set again on the snapshot server, it passes
        server = me.param["server"][backend]
        me.type(f"{server} {cli} config set {me.instance} boot.autostart 0")
        assert set(me.grade().values()) == {"pass"}


@pytest.mark.parametrize("backend", ["lxd", "incus"])
def test_a_crontab_without_a_log_or_one_cron_refuses_is_not_passed(backend):
    with started(backend) as me:
        me.type_until("script-made")
        script_path = me.param["script"]
        me.type("crontab -", (f"00 22 * * * {script_path}",))  # no log
        grades = me.grade()
        assert grades["script-made"] == "pass" and grades["cron-set"] == "fail", grades
        refused = me.player().type("crontab -", (f"60 22 * * * {script_path} > log 2>&1",))
        assert refused.returncode != 0  # cron's own check: bad minute, nothing installed
        report = me.report()
        cron = next(s for s in report["steps"] if s["id"] == "cron-set")
        assert cron["status"] == "fail" and "minute 0-59" in cron["hint"], cron
        assert all(s["status"] == "pending" for s in report["steps"][3:]), report


@pytest.mark.parametrize("backend", ["lxd", "incus"])
def test_skipping_the_run_by_hand_is_not_passed(backend):
    """With one container, the later refresh of step 5 stands in for the script's run: then
    no snapshot comes after it, and step 5 fails."""
    with started(backend) as me:
        me.type_until("autostart-kept", skip="run-by-hand")
        grades = me.grade()
        assert grades["snapshot-refreshed"] == "fail", grades
        assert grades["autostart-kept"] == "pending", grades


def step_of(report: dict, step_id: str) -> dict:
    return next(s for s in report["steps"] if s["id"] == step_id)


@pytest.mark.parametrize("backend", ["lxd", "incus"])
def test_a_used_token_or_the_remote_under_another_name_is_not_passed(backend):
    with started(backend) as me:
        token_line = script(LAB, backend, me.instance, LAB.snapshot)[0]
        cli, remote = me.backend.cli, me.param["remote"][backend]
        other = Learner(backend)  # another client uses the token first
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
            snapshot_server.forget(other.backend, other.conf)
            shutil.rmtree(other.conf, ignore_errors=True)
