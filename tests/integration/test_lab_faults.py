"""The lab verbs against bad input and real faults: one clear line, the documented exit code.

Every failure must be one line on stderr starting with `snaplab:` (the `cli`
helper also rejects any traceback) and the exit code README's "Exit codes"
table gives. Broken daemons are spares or empty directories; the main daemons
only ever get containers named fx-…, made and removed here.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from snaplab.errors import ExitCode
from snaplab.instance import LABEL, node
from snaplab.transports import Target, connect
from tests.conftest import Run
from tests.integration.learner import Learner
from tests.integration.spare import cli_argv, cli_env, wait_for, with_default_sigint

pytestmark = pytest.mark.integration

BACKENDS = ["lxd", "incus"]
ENV_DIR = {"lxd": "LXD_DIR", "incus": "INCUS_DIR"}
GROUP = {"lxd": "lxd", "incus": "incus-admin"}
OUTSIDER = {"lxd": "incusadmin", "incus": "lxdadmin"}  # a user in the other daemon's group


def one_line(r: Run, code: ExitCode, *words: str) -> str:
    """The run failed with `code` and said so in exactly one line holding `words`."""
    assert r.rc == code, f"rc={r.rc}, expected {int(code)}: {r.err or r.out}"
    assert len(r.lines) == 1, r.err
    line = r.lines[0]
    assert line.startswith("snaplab: "), line
    for word in words:
        assert word in line, line
    return line


def lab(cli, verb: str, *args: str, env: dict[str, str], user: str | None = None) -> Run:
    return cli(verb, "snapshots", *args, env=env, user=user)


@pytest.fixture
def state(tmp_path) -> dict[str, str]:
    """A learner's own state directory, fresh for each test."""
    return {"XDG_STATE_HOME": str(tmp_path), "SNAPLAB_LANG": "en"}


def api(backend: str):
    return connect(Target(backend, None, "default")).client


def instance_state(backend: str, name: str) -> dict:
    """What a learner could tell about the container: config, status, snapshots, /root."""
    client = api(backend)
    inst = node(client, f"/1.0/instances/{name}").get().json()["metadata"]
    snaps = node(client, f"/1.0/instances/{name}/snapshots").get(params={"recursion": 1})
    root = node(client, f"/1.0/instances/{name}/files").get(params={"path": "/root"})
    return {
        "config": inst["config"],
        "devices": inst["devices"],
        "status": inst["status"],
        "created_at": inst["created_at"],
        "last_used_at": inst["last_used_at"],
        "snapshots": sorted((s["name"], s["created_at"]) for s in snaps.json()["metadata"]),
        "root": sorted(root.json()["metadata"]),
    }


def exists(backend: str, name: str) -> bool:
    return bool(api(backend).instances.exists(name))


@pytest.fixture
def learner(request, tmp_path) -> Iterator[Learner]:
    """A started lab on a fresh fx- container, finished afterwards whatever happens."""
    backend = request.node.callspec.params["backend"]
    short = request.node.originalname.removeprefix("test_")[:30].rstrip("_").replace("_", "-")
    me = Learner(backend, f"fx-{short}-{backend}", tmp_path)
    with me.started():
        yield me
    assert not exists(backend, me.instance)


# -- usage: exit 2, before any daemon is asked ----------------------------------------------


def test_unknown_lab(cli, state):
    r = cli("check", "nosuchlab", env=state)
    one_line(r, ExitCode.USAGE, "nosuchlab", "snaplab labs", "snapshots")


@pytest.mark.parametrize("verb", ["start", "check", "finish"])
def test_invalid_instance_name(cli, state, verb):
    r = lab(cli, verb, "--instance", "bad name!", env=state)
    one_line(r, ExitCode.USAGE, "'bad name!'")


def test_invalid_snapshot_name_for_solve(cli, state):
    r = lab(cli, "solve", "--instance", "fx-never-made", "--snapshot", "a/b", env=state)
    one_line(r, ExitCode.USAGE, "snapshot", "'a/b'")


# -- the daemon: down (3), not permitted (4) -----------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("verb", ["start", "check"])
def test_daemon_down(cli, state, tmp_path, backend, verb):
    nowhere = tmp_path / "no-daemon"
    nowhere.mkdir()
    env = {**state, ENV_DIR[backend]: str(nowhere)}
    r = lab(cli, verb, "--backend", backend, "--instance", "fx-down", env=env)
    one_line(r, ExitCode.DAEMON_DOWN, "not running", f"snaplab host setup --backend {backend}")


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("verb", ["start", "check"])
def test_socket_not_permitted(cli, backend, verb):
    user = OUTSIDER[backend]
    r = lab(cli, verb, "--backend", backend, "--instance", f"fx-perm-{backend}", env={}, user=user)
    one_line(r, ExitCode.PERMISSION, f"usermod -aG {GROUP[backend]} {user}")
    assert not exists(backend, f"fx-perm-{backend}")


# -- not found (5), conflict (6) ----------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_check_before_any_start(cli, state, backend):
    r = lab(cli, "check", "--backend", backend, "--instance", "fx-never-started", env=state)
    one_line(r, ExitCode.NOT_FOUND, "snaplab start snapshots")


@pytest.mark.parametrize("backend", BACKENDS)
def test_lab_container_deleted_after_start(backend, learner):
    me = learner
    me.type(f"{me.cli} config unset {me.instance} security.protection.delete", recorded=False)
    me.type(f"{me.cli} delete --force {me.instance}", recorded=False)
    r = me.snaplab("check", "--json")
    line = one_line(r, ExitCode.NOT_FOUND, me.instance, "`snaplab start snapshots`")
    assert "re-creates" in line
    assert r.out == ""

    r = me.snaplab("start")
    assert r.rc == ExitCode.OK, r.err
    assert exists(backend, me.instance)
    rc, report = me.check()
    assert rc == ExitCode.NOT_PASSING and report["score"] == 0


@pytest.mark.parametrize("backend", BACKENDS)
def test_missing_lab_image(cli, state, spares, backend):
    spare = spares.get(backend, "noimage")
    env = {**state, **spare.env}
    r = lab(cli, "start", "--backend", backend, "--instance", "fx-noimage", env=env)
    one_line(r, ExitCode.NOT_FOUND, "snaplab-lab", f"snaplab host setup --backend {backend}")
    assert spare.instances() == []


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_container_snaplab_did_not_create_is_never_touched(cli, state, backend):
    name = f"fx-foreign-{backend}"
    tool = {"lxd": "lxc", "incus": "incus"}[backend]
    subprocess.run([tool, "delete", "--force", name], capture_output=True)  # a killed run's
    subprocess.run([tool, "launch", "snaplab-lab", name], check=True, capture_output=True)
    try:
        before = instance_state(backend, name)
        assert LABEL not in before["config"]

        r = lab(cli, "start", "--backend", backend, "--instance", name, env=state)
        one_line(r, ExitCode.CONFLICT, name, "--instance")
        assert instance_state(backend, name) == before

        r = lab(cli, "finish", "--backend", backend, "--instance", name, env=state)
        assert r.rc == ExitCode.OK and "nothing to remove" in r.out, r
        after = instance_state(backend, name)
        assert after == before
        assert after["status"] == "Running" and LABEL not in after["config"]
    finally:
        subprocess.run([tool, "delete", "--force", name], capture_output=True)


# -- Ctrl-C (130) ------------------------------------------------------------------------


def interrupt(proc: subprocess.Popen) -> tuple[str, str]:
    """Ctrl-C as a terminal sends it: SIGINT to the whole foreground process group."""
    os.killpg(proc.pid, signal.SIGINT)
    return proc.communicate(timeout=120)


def popen(me: Learner, verb: str) -> subprocess.Popen:
    argv = cli_argv(verb, "snapshots", "--backend", me.backend, "--instance", me.instance)
    return subprocess.Popen(
        with_default_sigint(argv),
        env=cli_env(me.env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd="/tmp",
        start_new_session=True,  # its own process group, like a shell's foreground job
    )


def assert_interrupted(proc: subprocess.Popen, out: str, err: str) -> None:
    assert "Traceback" not in err, err
    assert proc.returncode == ExitCode.INTERRUPTED, (out, err)
    said = [ln for ln in err.strip().splitlines() if ln.startswith("snaplab:")]
    assert len(said) == 1 and said[0].startswith("snaplab: interrupted"), err
    assert err.strip().splitlines()[-1] == said[0], err


def recorder_pid(me: Learner) -> int | None:
    try:
        return int((me.journal().parent / "recorder.pid").read_text())
    except (OSError, ValueError):
        return None


def finish_removes_everything(me: Learner) -> None:
    pid = recorder_pid(me)
    r = me.snaplab("finish")
    assert r.rc == ExitCode.OK and me.instance in r.out, r
    assert not exists(me.backend, me.instance)
    assert not me.journal().parent.exists() or not me.journal().exists()
    if pid:
        assert wait_for(lambda: not Path(f"/proc/{pid}").exists(), 30), "recorder still runs"


@pytest.mark.parametrize("backend", BACKENDS)
def test_ctrl_c_during_solve(backend, learner):
    me = learner
    proc = popen(me, "solve")
    try:
        assert proc.stderr is not None
        first = proc.stderr.readline()  # solve prints each command before running it
        assert first.startswith("$ "), first
        out, err = interrupt(proc)
        err = first + err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert_interrupted(proc, out, err)

    rc, _ = me.check()
    assert rc in (ExitCode.OK, ExitCode.NOT_PASSING)
    finish_removes_everything(me)
    assert me.snaplab("start").rc == ExitCode.OK
    rc, report = me.check()
    assert rc == ExitCode.NOT_PASSING and report["score"] == 0


@pytest.mark.parametrize("backend", BACKENDS)
def test_ctrl_c_during_start(backend, tmp_path):
    me = Learner(backend, f"fx-ctrl-c-start-{backend}", tmp_path)
    me.snaplab("finish")
    proc = popen(me, "start")
    try:
        seen = wait_for(lambda: exists(backend, me.instance) or proc.poll() is not None, 60, 0.005)
        assert seen and proc.poll() is None, "start ended before its container appeared"
        out, err = interrupt(proc)
        assert_interrupted(proc, out, err)

        # not started (check says how to start), or started just before the Ctrl-C
        r = me.snaplab("check", "--json")
        if r.rc == ExitCode.NOT_FOUND:
            one_line(r, ExitCode.NOT_FOUND, "snaplab start snapshots")
        else:
            assert r.rc == ExitCode.NOT_PASSING, r
        finish_removes_everything(me)

        r = me.snaplab("start")
        assert r.rc == ExitCode.OK, r.err
        rc, report = me.check()
        assert rc == ExitCode.NOT_PASSING and report["score"] == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
        r = me.snaplab("finish")
        assert r.rc == ExitCode.OK, r.err
    assert not exists(backend, me.instance)


# -- check reads, never writes; finish twice ----------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_check_never_changes_the_container(backend, learner):
    me = learner
    cli = me.cli
    snapshot = "fx-kept"
    if backend == "lxd":
        me.type(f"lxc snapshot {me.instance} {snapshot}")
    else:
        me.type(f"incus snapshot create {me.instance} {snapshot}")
    me.type(f"{cli} exec {me.instance} -- touch /root/this_file.txt /root/other")

    for status in ("Running", "Stopped"):
        if status == "Stopped":
            me.type(f"{cli} stop {me.instance}")
        before = instance_state(backend, me.instance)
        assert before["status"] == status
        assert before["root"] == ["other", "this_file.txt"]
        assert [n for n, _ in before["snapshots"]] == [snapshot]
        rc, _ = me.check()
        assert rc == ExitCode.NOT_PASSING
        assert instance_state(backend, me.instance) == before, status


@pytest.mark.parametrize("backend", BACKENDS)
def test_finish_twice(backend, learner):
    me = learner
    r = me.snaplab("finish")
    assert r.rc == ExitCode.OK and me.instance in r.out, r
    r = me.snaplab("finish")
    assert r.rc == ExitCode.OK and "nothing to remove" in r.out, r
    assert r.err == ""
    r = me.snaplab("finish", "--json")
    assert r.rc == ExitCode.OK and json.loads(r.out)["removed"] == []
