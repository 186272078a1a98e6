"""`snaplab doctor` against real daemons: every check is made to fail for real.

Breakage happens on spare daemons (see spare.py); the main daemons are only
read, and given a probe container that doctor removes itself.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from pylxd import Client

from snaplab.backends import get_backend
from snaplab.doctor.probes import PROBE_RUNNER, leave_probe
from snaplab.errors import ExitCode
from snaplab.host.image import ALIAS
from snaplab.instance import LABEL
from tests.conftest import Run
from tests.integration.spare import (
    PROBE_PREFIX,
    cli_argv,
    cli_env,
    wait_for,
    with_default_sigint,
)

pytestmark = pytest.mark.integration

BACKENDS = ["lxd", "incus"]
CHECK_IDS = ["kernel", "installed", "socket", "api", "storage", "root-disk", "image", "probe"]
AFTER_API = ["storage", "root-disk", "image", "probe"]
COST = r"snapshot \d+\.\d\d s, restore \d+\.\d\d s, downtime \d+\.\d\d s = stop \d+\.\d\d \+ restore \+ start \d+\.\d\d"
TIMINGS = re.compile(f"^{COST}$")


def expected_ids(backend: str, env: dict[str, str] | None) -> list[str]:
    """The snapshot server is checked where `host setup --snapshot-server` made one, and only
    for the main daemon (not a spare in LXD_DIR / INCUS_DIR)."""
    from snaplab.host import snapshot_server

    b = get_backend(backend)
    here = not (env or {}).get(b.env_dir) and snapshot_server.status(b).exists
    return CHECK_IDS + (["snapshot-server"] if here else [])


def doctor(
    cli: Callable[..., Run],
    backend: str,
    *extra: str,
    env: dict[str, str] | None = None,
    user: str | None = None,
) -> tuple[Run, dict, dict[str, dict]]:
    """Run `snaplab doctor --json` for one backend; (run, report, checks by id)."""
    r = cli("doctor", "--backend", backend, "--json", *extra, env=env, user=user)
    data = json.loads(r.out)
    assert len(data["reports"]) == 1
    report = data["reports"][0]
    assert report["backend"] == backend
    assert [c["id"] for c in report["checks"]] == expected_ids(backend, env)
    return r, report, {c["id"]: c for c in report["checks"]}


def statuses(checks: dict) -> dict[str, str]:
    return {k: c["status"] for k, c in checks.items()}


# -- the daemon is down --------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_daemon_stopped_fails_socket_and_api_and_skips_the_rest(cli, spares, backend):
    spare = spares.get(backend, "stopped")
    assert not spare.socket.exists()
    r, report, checks = doctor(cli, backend, env=spare.env)
    assert r.rc == ExitCode.NOT_PASSING
    assert report["fit"] is False
    assert checks["socket"]["status"] == "FAIL"
    assert f"no socket at {spare.socket}" in checks["socket"]["detail"]
    assert checks["socket"]["fix"] == f"sudo snaplab host setup --backend {backend}"
    assert checks["api"]["status"] == "FAIL"
    assert "not running" in checks["api"]["detail"]
    for dependent in AFTER_API:
        assert checks[dependent]["status"] == "SKIP", dependent
        assert "API cannot be reached" in checks[dependent]["detail"]
    # what does not need the daemon is still asked
    assert checks["kernel"]["status"] == "PASS"
    assert checks["installed"]["status"] == "PASS"


@pytest.mark.parametrize("backend", BACKENDS)
def test_daemon_stopped_json_has_the_documented_shape(cli, spares, backend):
    spare = spares.get(backend, "stopped")
    r = cli("doctor", "--backend", backend, "--json", env=spare.env)
    assert r.rc == ExitCode.NOT_PASSING
    data = json.loads(r.out)
    assert set(data) == {"fit", "reports"}
    assert data["fit"] is False
    assert len(data["reports"]) == 1
    report = data["reports"][0]
    assert set(report) == {"backend", "fit", "seconds", "checks", "timings"}
    assert report["timings"] == {}  # nothing could be timed on a stopped daemon
    assert report["backend"] == backend and report["fit"] is False
    assert isinstance(report["seconds"], int | float) and report["seconds"] >= 0
    assert [c["id"] for c in report["checks"]] == expected_ids(backend, spare.env)
    for check in report["checks"]:
        assert set(check) == {"id", "title", "status", "detail", "fix"}
        assert check["status"] in {"PASS", "WARN", "FAIL", "SKIP"}
        assert all(isinstance(check[k], str) for k in ("id", "title", "detail", "fix"))
        assert check["title"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_daemon_stopped_text_report_names_the_fix(cli, spares, backend):
    spare = spares.get(backend, "stopped")
    r = cli("doctor", "--backend", backend, env=spare.env)
    assert r.rc == ExitCode.NOT_PASSING
    lines = r.out.splitlines()
    assert lines[0] == f"{backend}:"
    assert any(line.lstrip().startswith("FAIL  current user may use the socket") for line in lines)
    assert f"        fix: sudo snaplab host setup --backend {backend}" in lines
    assert sum(line.lstrip().startswith("SKIP") for line in lines) == len(AFTER_API)
    assert lines[-1].startswith(f"  => {backend} is NOT fit for the labs")


@pytest.mark.parametrize("backend", BACKENDS)
def test_daemon_killed_leaves_a_stale_socket_that_fails(cli, spares, backend):
    spare = spares.get(backend, "killed")
    assert spare.socket.exists()  # kill -9: the daemon could not remove it
    r, report, checks = doctor(cli, backend, env=spare.env)
    assert r.rc == ExitCode.NOT_PASSING
    assert checks["socket"]["status"] == "FAIL"
    assert "refuses connections" in checks["socket"]["detail"]
    assert checks["socket"]["fix"] == f"sudo snaplab host setup --backend {backend}"
    assert checks["api"]["status"] == "FAIL"
    assert "refuses connections" in checks["api"]["detail"]
    assert all(checks[k]["status"] == "SKIP" for k in AFTER_API)


# -- the socket is not permitted -----------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_socket_not_permitted_names_the_exact_usermod(cli, spares, nogroup_user, backend):
    spare = spares.get(backend, "full")
    group = get_backend(backend).group
    r, report, checks = doctor(cli, backend, env=spare.env, user=nogroup_user)
    assert r.rc == ExitCode.NOT_PASSING
    assert checks["socket"]["status"] == "FAIL"
    assert checks["socket"]["detail"] == f"user {nogroup_user} may not use {spare.socket}"
    assert f"usermod -aG {group} {nogroup_user}" in checks["socket"]["fix"]
    assert checks["api"]["status"] == "FAIL"
    assert f"usermod -aG {group} {nogroup_user}" in checks["api"]["detail"]
    assert all(checks[k]["status"] == "SKIP" for k in AFTER_API)
    # the same fix, as a person reads it
    text = cli("doctor", "--backend", backend, env=spare.env, user=nogroup_user)
    assert text.rc == ExitCode.NOT_PASSING
    assert (
        f"        fix: sudo usermod -aG {group} {nogroup_user}  (then log in again)"
        in text.out.splitlines()
    )


# -- the daemon is up but not set up -------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_no_storage_pool_fails_storage(cli, spares, backend):
    spare = spares.get(backend, "bare")
    r, report, checks = doctor(cli, backend, env=spare.env)
    assert r.rc == ExitCode.NOT_PASSING
    assert checks["api"]["status"] == "PASS"
    assert checks["storage"]["status"] == "FAIL"
    assert checks["storage"]["detail"] == "no storage pool"
    assert f"snaplab host setup --backend {backend}" in checks["storage"]["fix"]
    # a daemon never initialised lacks the rest too; the probe is not attempted
    assert checks["root-disk"]["status"] == "FAIL"
    assert checks["image"]["status"] == "FAIL"
    assert checks["probe"]["status"] == "SKIP"


@pytest.mark.parametrize("backend", BACKENDS)
def test_root_disk_missing_fails_root_disk_and_skips_the_probe(cli, spares, backend):
    spare = spares.get(backend, "nodisk")
    r, report, checks = doctor(cli, backend, env=spare.env)
    assert r.rc == ExitCode.NOT_PASSING
    assert statuses(checks) == {
        "kernel": "PASS",
        "installed": "PASS",
        "socket": "PASS",
        "api": "PASS",
        "storage": "WARN",  # there is a pool: only the profile is broken
        "root-disk": "FAIL",
        "image": "PASS",
        "probe": "SKIP",
    }
    assert checks["root-disk"]["detail"] == "the default profile has no root disk"
    cli_name = get_backend(backend).cli
    assert (
        checks["root-disk"]["fix"]
        == f"{cli_name} profile device add default root disk path=/ pool=default"
    )
    assert "root disk" in checks["probe"]["detail"]
    assert spare.instances(PROBE_PREFIX) == []


@pytest.mark.parametrize("backend", BACKENDS)
def test_image_missing_fails_image_and_skips_the_probe(cli, spares, backend):
    spare = spares.get(backend, "noimage")
    r, report, checks = doctor(cli, backend, env=spare.env)
    assert r.rc == ExitCode.NOT_PASSING
    assert statuses(checks) == {
        "kernel": "PASS",
        "installed": "PASS",
        "socket": "PASS",
        "api": "PASS",
        "storage": "WARN",
        "root-disk": "PASS",
        "image": "FAIL",
        "probe": "SKIP",
    }
    assert checks["image"]["detail"] == f"no image with alias {ALIAS}"
    assert f"snaplab host setup --backend {backend}" in checks["image"]["fix"]
    assert ALIAS in checks["probe"]["detail"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_client_not_on_path_fails_installed(cli, spares, backend, tmp_path):
    spare = spares.get(backend, "full")
    r, report, checks = doctor(
        cli, backend, env={**spare.env, "PATH": path_without(backend, tmp_path)}
    )
    assert r.rc == ExitCode.NOT_PASSING
    assert checks["installed"]["status"] == "FAIL"
    assert get_backend(backend).cli in checks["installed"]["detail"]
    assert checks["installed"]["fix"] == f"sudo snaplab host setup --backend {backend}"
    # only the client is missing: the API needs no client binary, and all else is fine
    others = {k: s for k, s in statuses(checks).items() if k != "installed"}
    assert set(others.values()) <= {"PASS", "WARN"}, others


def path_without(backend: str, bindir: Path) -> str:
    """A PATH with every command of /usr/bin and /usr/sbin but the backend's client: the
    checks read the host with its own tools (env, id, ss), as they do over ssh."""
    client = get_backend(backend).cli
    for d in (Path("/usr/bin"), Path("/usr/sbin")):
        for cmd in d.iterdir():
            if cmd.name != client and not (bindir / cmd.name).exists():
                (bindir / cmd.name).symlink_to(cmd)
    return str(bindir)


# -- a fit daemon --------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_dir_pool_warns_and_explains_copy_on_write(cli, spares, backend):
    spare = spares.get(backend, "full")
    r, report, checks = doctor(cli, backend, env=spare.env)
    assert checks["storage"]["status"] == "WARN"
    assert (
        checks["storage"]["detail"]
        == "default (dir): on dir a snapshot copies the whole root filesystem"
    )
    fix = checks["storage"]["fix"]
    assert fix.startswith(f"{get_backend(backend).cli} storage create fast btrfs")
    assert "copy-on-write" in fix and "zfs" in fix
    # a WARN alone does not make a host unfit
    assert checks["probe"]["status"] == "PASS"
    assert report["fit"] is True and r.rc == ExitCode.OK


@pytest.mark.parametrize("user", ["root", "book-user"])
@pytest.mark.parametrize("backend", BACKENDS)
def test_probe_passes_on_the_main_daemon_and_reports_timings(cli, backend, user):
    b = get_backend(backend)
    as_user = None if user == "root" else b.user
    env = {b.env_dir: ""}  # the main daemon, whatever the caller's environment says
    r, report, checks = doctor(cli, backend, env=env, user=as_user)
    assert checks["socket"]["status"] == "PASS"
    assert checks["socket"]["detail"] == f"{as_user or 'root'} may use {b.var_dir}/unix.socket"
    assert checks["api"]["status"] == "PASS"
    assert checks["api"]["detail"].startswith(f"{backend} ")
    assert checks["probe"]["status"] == "PASS", checks["probe"]
    assert TIMINGS.match(checks["probe"]["detail"]), checks["probe"]["detail"]
    assert r.rc == ExitCode.OK and report["fit"] is True


@pytest.mark.parametrize("backend", BACKENDS)
def test_size_times_a_filled_container_and_names_the_figure(cli, backend):
    r, report, checks = doctor(cli, backend, "--size", "20M")
    assert r.rc == ExitCode.OK, r.err
    sized = report["timings"]["sized"]
    assert sized["size_mib"] == 20
    assert sized["downtime"] == pytest.approx(
        sized["stop"] + sized["restore"] + sized["start"], abs=0.002
    )
    detail = checks["storage"]["detail"]
    assert re.search(f"a 20 MiB container: {COST}", detail), detail
    assert checks["storage"]["status"] == "WARN"  # the main daemons' pool is dir
    assert TIMINGS.match(checks["probe"]["detail"]), checks["probe"]["detail"]
    lab = report["timings"]["lab"]
    assert set(lab) == {"snapshot", "restore", "downtime", "stop", "start"}


@pytest.mark.parametrize("moment", ["created", "running", "filling"])
@pytest.mark.parametrize("backend", BACKENDS)
def test_interrupted_probe_removes_its_container(spares, backend, moment):
    spare = spares.get(backend, "full")
    assert spare.instances(PROBE_PREFIX) == []
    size = ["--size", "300M"] if moment == "filling" else []  # still writing when interrupted
    proc = subprocess.Popen(
        with_default_sigint(cli_argv("doctor", "--backend", backend, *size)),
        env=cli_env(spare.env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd="/tmp",
    )
    try:

        def probe_exists() -> list[str] | None:
            if proc.poll() is not None:
                return ["<doctor finished>"]
            names = spare.instances(PROBE_PREFIX)
            if names and moment != "created" and spare.state(names[0]) != "RUNNING":
                return None
            return names or None

        seen = wait_for(probe_exists, timeout=60)
        assert seen and seen != ["<doctor finished>"], "the probe container never appeared"
        proc.send_signal(signal.SIGINT)
        # the way out asks a daemon that went silent again, for up to probes.PATIENCE
        out, err = proc.communicate(timeout=200)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
        left = spare.instances(PROBE_PREFIX)
        for name in left:  # so one failure does not spoil the next test on this spare
            spare.delete(name)
    assert "Traceback" not in err, err
    assert proc.returncode == ExitCode.INTERRUPTED, (out, err)
    assert err.strip().startswith("snaplab: interrupted")
    assert left == []


def connected_then_interrupted(path: Path) -> None:
    """Ctrl-C between a connection's connect and its request: the socket stays open in the
    exception's frames, and the daemon, having accepted it, waits for its first bytes."""
    half_open = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    half_open.connect(str(path))
    raise KeyboardInterrupt


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_way_out_of_a_probe_closes_a_connection_the_interrupt_left_half_open(spares, backend):
    """Both daemons answer no other client on their unix socket while an accepted
    connection says nothing: the doctor's clean-up must not be that other client (CI saw
    LXD silent for a minute after an interrupted probe, then answer at once)."""
    spare = spares.get(backend, "full")
    name = PROBE_PREFIX + "half-open"
    spare.cli("init", ALIAS, name, "-c", f"{LABEL}=doctor")
    client = Client(endpoint=str(spare.socket), timeout=10)
    try:
        with pytest.raises(KeyboardInterrupt):
            try:
                connected_then_interrupted(spare.socket)
            except BaseException:
                leave_probe(client, name)  # as the probe's `except BaseException` calls it
                raise
        assert spare.instances(PROBE_PREFIX) == []
    finally:
        for left in spare.instances(PROBE_PREFIX):
            spare.delete(left)


@pytest.mark.parametrize("backend", BACKENDS)
def test_leftover_probe_is_swept_but_not_an_unlabelled_one(cli, spares, backend):
    spare = spares.get(backend, "full")
    leftover, stranger, live = (
        PROBE_PREFIX + "leftover",
        PROBE_PREFIX + "x",
        PROBE_PREFIX + "live",
    )
    try:
        # left by a doctor killed with -9 mid-probe: running, labelled
        spare.cli("init", ALIAS, leftover, "-c", f"{LABEL}=doctor")
        spare.cli("start", leftover)
        # somebody's own container that merely has the prefix
        spare.cli("init", ALIAS, stranger)
        # the probe of a doctor that still runs (this test process stands in for it)
        spare.cli(
            "init",
            ALIAS,
            live,
            "-c",
            f"{LABEL}=doctor",
            "-c",
            f"{PROBE_RUNNER}={socket.gethostname()}:{os.getpid()}",
        )
        assert set(spare.instances(PROBE_PREFIX)) == {leftover, stranger, live}

        r, report, checks = doctor(cli, backend, env=spare.env)
        assert checks["probe"]["status"] == "PASS"
        assert r.rc == ExitCode.OK
        assert set(spare.instances(PROBE_PREFIX)) == {stranger, live}
    finally:
        for name in (leftover, stranger, live):
            spare.delete(name)
    assert spare.instances(PROBE_PREFIX) == []


@pytest.mark.parametrize("how", ["--lang", "LANG"])
@pytest.mark.parametrize("backend", BACKENDS)
def test_the_report_reads_in_korean_on_both_daemons(cli, backend, how):
    """`doctor --lang ko`, or a Korean locale, as the book's user: every line in Korean."""
    user = get_backend(backend).user
    args = ["doctor", "--backend", backend] + (["--lang", "ko"] if how == "--lang" else [])
    if how == "LANG":  # the book user's login locale; runuser keeps the caller's environment
        korean = {"LANG": "ko_KR.UTF-8", "SNAPLAB_LANG": "", "LC_ALL": "", "LC_MESSAGES": ""}
        r = cli(*args, user=user, env=korean)
    else:
        r = cli(*args, user=user)
    assert r.rc == ExitCode.OK, r.err
    lines = r.out.strip().splitlines()
    assert lines[0] == f"{backend}:"
    assert "커널" in r.out and "스냅샷" in r.out and "복원" in r.out and "중단 시간" in r.out
    assert lines[-1].startswith(f"  => {backend}은(는) 실습에 적합합니다")
    assert "fit for the labs" not in r.out and "fix:" not in r.out
