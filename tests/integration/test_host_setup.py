"""`snaplab host setup` on this already-set-up host, and on spare daemons it finishes."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable

import pytest

from snaplab.backends import get_backend
from snaplab.errors import ExitCode
from snaplab.host.image import ALIAS, build
from tests.conftest import Run
from tests.integration.spare import PROBE_PREFIX

pytestmark = pytest.mark.integration

BACKENDS = ["lxd", "incus"]
INIT_STEP = "initialise: a dir pool and a root disk in the default profile"
IMAGE_STEP = f"import the offline lab image as {ALIAS}"


def step_lines(err: str) -> list[str]:
    """The per-step progress lines, e.g. `[lxd] start the LXD daemon: already done`."""
    return [line for line in err.splitlines() if line.startswith("[")]


def setup_json(cli: Callable[..., Run], *args: str, env: dict[str, str] | None = None) -> dict:
    r = cli("host", "setup", *args, "--json", env=env)
    assert r.rc == ExitCode.OK, r.err
    return json.loads(r.out)


def require_set_up(cli: Callable[..., Run]) -> None:
    """Never let a test change the main daemons: only run for real when nothing would change."""
    plan = setup_json(cli, "--dry-run")
    todo = [f"[{s['backend']}] {s['title']}" for s in plan["steps"] if s["changed"]]
    if todo:
        pytest.fail(f"this host is not fully set up (run `sudo snaplab host setup`): {todo}")


def test_dry_run_on_a_set_up_host_has_nothing_to_change(cli):
    r = cli("host", "setup", "--dry-run")
    assert r.rc == ExitCode.OK
    assert r.out.strip() == "dry run: 0 step(s) would change this host"
    lines = step_lines(r.err)
    assert {line[1:].split("]")[0] for line in lines} == {"lxd", "incus"}
    assert lines and all(line.endswith(": already done") for line in lines), lines
    assert not any(" would " in line for line in r.err.splitlines())


def test_dry_run_json_says_unchanged_for_every_step(cli):
    data = setup_json(cli, "--dry-run")
    assert data["action"] == "setup" and data["dry_run"] is True
    assert data["changed"] is False
    assert {s["backend"] for s in data["steps"]} == {"lxd", "incus"}
    assert all(s["changed"] is False for s in data["steps"])
    titles = [s["title"] for s in data["steps"] if s["backend"] == "lxd"]
    assert INIT_STEP in titles and IMAGE_STEP in titles


def test_second_run_reports_every_step_already_done(cli):
    require_set_up(cli)
    r = cli("host", "setup")
    assert r.rc == ExitCode.OK
    assert r.out.startswith("nothing to do: the host is already set up")
    lines = step_lines(r.err)
    assert len(lines) >= 10  # five or six steps per backend
    assert all(line.endswith(": already done") for line in lines), lines
    data = setup_json(cli)
    assert data["dry_run"] is False and data["changed"] is False
    assert all(s["changed"] is False for s in data["steps"])
    assert {s["backend"] for s in data["steps"]} == {"lxd", "incus"}


@pytest.mark.parametrize("backend", BACKENDS)
def test_setup_finishes_a_bare_daemon_then_changes_nothing(cli, spares, backend):
    """On a spare nobody initialised: the first run preseeds and imports, the second does not."""
    spare = spares.get(backend, "setup")
    first = setup_json(cli, "--backend", backend, env=spare.env)
    assert first["changed"] is True
    changed = {s["title"] for s in first["steps"] if s["changed"]}
    assert changed == {INIT_STEP, IMAGE_STEP}
    assert {s["backend"] for s in first["steps"]} == {backend}

    # what it did is real: the pool, the root disk and the image the build gives
    assert "default" in spare.cli("storage", "list", "--format", "csv").stdout
    assert "path: /" in spare.cli("profile", "show", "default").stdout
    info = spare.cli("image", "info", ALIAS).stdout
    assert build().fingerprint in info

    r = cli("host", "setup", "--backend", backend, env=spare.env)
    assert r.rc == ExitCode.OK
    assert r.out.startswith("nothing to do")
    assert all(line.endswith(": already done") for line in step_lines(r.err))
    again = setup_json(cli, "--backend", backend, env=spare.env)
    assert again["changed"] is False

    # and the daemon it finished is fit for the labs
    doctor = cli("doctor", "--backend", backend, "--json", env=spare.env)
    assert doctor.rc == ExitCode.OK, doctor.out
    assert json.loads(doctor.out)["fit"] is True
    assert spare.instances(PROBE_PREFIX) == []


@pytest.mark.parametrize("args", [("--dry-run",), ("--json",), ("--backend", "incus")])
@pytest.mark.parametrize("backend", BACKENDS)
def test_setup_as_a_book_user_exits_4_with_one_line(cli, backend, args):
    r = cli("host", "setup", *args, user=get_backend(backend).user)
    assert r.rc == ExitCode.PERMISSION
    assert r.out == ""
    assert len(r.lines) == 1
    assert r.lines[0].startswith("snaplab: ") and "root" in r.lines[0]
    assert "sudo snaplab host setup" in r.lines[0]


def test_setup_as_a_user_in_no_group_exits_4(cli, nogroup_user):
    r = cli("host", "setup", user=nogroup_user)
    assert r.rc == ExitCode.PERMISSION
    assert len(r.lines) == 1 and "root" in r.lines[0]


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_book_user_finds_snaplab_and_sudo_in_a_login_shell(cli, backend):
    """The README and the guide type `snaplab …` and `sudo snaplab host …` as these users."""
    require_set_up(cli)
    user = get_backend(backend).user
    shell = subprocess.run(
        ["runuser", "-l", user, "-c", "command -v snaplab && snaplab --version && sudo -n id -u"],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    assert shell.returncode == 0, shell.stderr
    where, version, uid = shell.stdout.split("\n")[:3]
    assert where == "/usr/local/bin/snaplab"
    assert version.startswith("snaplab ")
    assert uid == "0"
    dry = subprocess.run(
        ["runuser", "-l", user, "-c", "sudo snaplab host setup --dry-run"],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.strip() == "dry run: 0 step(s) would change this host"
