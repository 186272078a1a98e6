"""checks/test_host.py without a daemon: a daemon directory where nobody runs.

The module runs as an operator runs it (plain pytest, testinfra's local:// host), and as
doctor runs it (in-process); both must say the same, and say it without an assert dump.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from snaplab.backends import BACKENDS, get_backend
from snaplab.doctor import checks, hostchecks
from snaplab.doctor.checks import CHECKS
from snaplab.doctor.context import Context, Outcome
from snaplab.doctor.results import Status
from snaplab.transports import Target

ROOT = Path(__file__).resolve().parents[2]
MODULE = ROOT / "checks" / "test_host.py"
AFTER_API = ("storage", "root-disk", "image")


def marked_ids() -> list[str]:
    """The host_check ids of the module's tests, in file order."""
    tree = ast.parse(MODULE.read_text())
    return [
        deco.args[0].value  # type: ignore[attr-defined]
        for fn in tree.body
        if isinstance(fn, ast.FunctionDef)
        for deco in fn.decorator_list
        if isinstance(deco, ast.Call) and getattr(deco.func, "attr", "") == "host_check"
    ]


def test_the_module_has_every_check_but_the_probe_in_doctors_order():
    assert marked_ids() == [c.id for c in CHECKS if c.id not in hostchecks.OWN]


def test_doctor_finds_the_module_where_the_lab_checks_are():
    assert Path(hostchecks.module_path()) == MODULE


def plain_pytest(tmp_path: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """`pytest checks/test_host.py ...` from the checkout, as an operator types it."""
    pythonpath = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    return subprocess.run(
        [sys.executable, "-m", "pytest", str(MODULE), "-p", "no:cacheprovider", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": pythonpath, **env},
        timeout=120,
    )


def junit(path: Path) -> dict[str, tuple[str, str]]:
    """test name (without its host) -> (outcome, message)."""
    out = {}
    for case in ET.parse(path).iter("testcase"):
        name = case.get("name", "").split("[")[0]
        got = next((c for c in case if c.tag in ("failure", "error", "skipped")), None)
        out[name] = ("passed", "") if got is None else (got.tag, got.get("message", ""))
    return out


@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_plain_pytest_fails_the_socket_with_its_fix_and_skips_what_needs_the_api(tmp_path, backend):
    b = get_backend(backend)
    xml = tmp_path / "host.xml"
    done = plain_pytest(
        tmp_path,
        {b.env_dir: str(tmp_path)},
        f"--lab-backend={backend}",
        "--hosts=local://",
        f"--junitxml={xml}",
    )
    assert done.returncode == 1, done.stdout + done.stderr
    found = junit(xml)
    assert found["test_kernel"] == ("passed", "")
    assert found["test_socket_usable"] == (
        "failure",
        f"no socket at {tmp_path}/unix.socket: the daemon is not running\n"
        f"fix: sudo snaplab host setup --backend {backend}",
    )
    outcome, message = found["test_daemon_answers"]
    assert outcome == "failure" and f"{b.title} is not running" in message
    for test in ("test_storage_pool", "test_root_disk", "test_lab_image"):
        assert found[test][0] == "skipped"
        assert "API cannot be reached" in found[test][1]
    assert "Traceback" not in done.stdout and "assert " not in done.stdout


def test_plain_pytest_says_the_fix_in_korean(tmp_path):
    done = plain_pytest(
        tmp_path, {"LXD_DIR": str(tmp_path)}, "--lab-backend=lxd", "--hosts=local://",
        "--lab-lang=ko", "-q",
    )  # fmt: skip
    assert f"{tmp_path}/unix.socket에 소켓이 없습니다" in done.stdout
    assert "해결: sudo snaplab host setup --backend lxd" in done.stdout


def test_plain_pytest_without_a_backend_says_which_option(tmp_path):
    done = plain_pytest(tmp_path, {}, "--hosts=local://")
    assert done.returncode == pytest.ExitCode.USAGE_ERROR
    assert "--lab-backend lxd" in done.stderr


@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_doctor_reads_back_what_the_module_found(monkeypatch, tmp_path, backend):
    """In-process, the module's findings are those the checks give when run directly."""
    b = get_backend(backend)
    monkeypatch.setenv(b.env_dir, str(tmp_path))
    through_pytest = hostchecks.run(Context(b, Target(backend)))
    direct = checks.run_all(Context(b, Target(backend)))
    assert through_pytest == direct
    by_id = {f.id: f for f in through_pytest}
    assert by_id["socket"].status is Status.FAIL
    assert all(by_id[k].status is Status.SKIP for k in (*AFTER_API, "probe"))


def test_a_check_that_breaks_is_a_one_line_fail_in_doctor(monkeypatch):
    def breaks(ctx: Context) -> Outcome:
        raise RuntimeError("ss: command not found")

    monkeypatch.setattr(checks, "kernel", breaks)
    found = hostchecks.run(Context(get_backend("lxd"), Target("lxd")))
    assert found[0].id == "kernel" and found[0].status is Status.FAIL
    assert found[0].detail.en == "RuntimeError: ss: command not found"


def test_ctrl_c_during_the_host_checks_stops_doctor(monkeypatch):
    def interrupted(ctx: Context) -> Outcome:
        raise KeyboardInterrupt

    monkeypatch.setattr(checks, "installed", interrupted)
    with pytest.raises(KeyboardInterrupt):
        hostchecks.run(Context(get_backend("lxd"), Target("lxd")))
