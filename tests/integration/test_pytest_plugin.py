"""Plain `pytest checks/test_snapshots.py` grades the learner as `snaplab check` does.

Run as the book's user, after doing the chapter, half of it, or with a step
botched: each step is its own test, its JUnit outcome agrees with
`check --json` step by step, and a failed step reports the lab's message.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from snaplab.lab.model import load
from tests.conftest import VENV_SNAPLAB
from tests.integration.learner import Learner, statuses
from tests.integration.test_lab_cycle import CHAPTER, USERS

pytestmark = pytest.mark.integration

PYTHON = VENV_SNAPLAB.parent / "python"


def installed_checks() -> Path:
    out = subprocess.run(
        [str(PYTHON), "-c", "from snaplab.paths import data_dir; print(data_dir('checks'))"],
        capture_output=True,
        text=True,
        check=True,
        cwd="/tmp",
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    )
    return Path(out.stdout.strip()) / "test_snapshots.py"


def plain_pytest(me: Learner, junit: Path, *extra: str) -> tuple[int, str, dict[str, bool]]:
    argv = [
        "runuser", "-u", str(me.user), "--", str(PYTHON), "-m", "pytest", "-p", "no:cacheprovider",
        str(installed_checks()), "--lab-backend", me.backend, "--lab-instance", me.instance,
        "-v", f"--junitxml={junit}", *extra,
    ]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "XDG_STATE_HOME")}
    done = subprocess.run(
        argv, capture_output=True, text=True, cwd="/tmp", env={**env, "HOME": f"/home/{me.user}"}
    )
    cases = ET.parse(junit).getroot().iter("testcase")
    # a step after the first undone one is skipped: not passed, as `check` says "pending"
    passed = {c.get("name"): not any(c.find(x) is not None for x in OUTCOMES) for c in cases}
    return done.returncode, done.stdout, passed


OUTCOMES = ("failure", "error", "skipped")  # what a JUnit test case holds when it did not pass

# the check module grades the steps in the lab's order, one test each
STEP_OF_TEST = [s.id for s in load("snapshots").steps]


# the full chapter on both daemons; half and botched on one each, since what they prove (a
# pending step skipped, a failed step in the lab's words) is the plugin's, not the daemon's
# (CI's 30 minutes go to chapters 9 and 10's real minutes instead)
@pytest.mark.parametrize(
    "done, backend",
    [("full", "lxd"), ("full", "incus"), ("half", "lxd"), ("botched", "incus")],
)
def test_plain_pytest_agrees_with_check(done, backend, tmp_path):
    me = Learner(backend, f"plug-{backend}", tmp_path, user=USERS[backend])
    chapter = CHAPTER[backend]
    if done == "half":
        chapter = chapter[:4]
    elif done == "botched":  # restored while running: never stopped between change and restore
        chapter = [c for c in chapter if " stop " not in c[0]]
    with me.started():
        for command, stdin, recorded, ok in chapter:
            me.type(
                command.replace("ubuntu-test", me.instance),
                stdin,
                recorded,
                ok and done != "botched",
            )
        _rc, report = me.check()
        shared = Path(tempfile.mkdtemp(prefix="plug-", dir="/tmp"))  # the user writes the JUnit
        shared.chmod(0o777)
        try:
            rc, out, passed = plain_pytest(me, shared / "x.xml")
        finally:
            shutil.rmtree(shared)
    expected = {s: st == "pass" for s, st in statuses(report).items()}
    assert list(passed.values()) == [expected[s] for s in STEP_OF_TEST], out
    assert len(passed) == 9
    if done == "full":
        assert rc == 0 and "9 passed" in out, out
    else:
        assert rc == 1, out
        first = next(s for s in report["steps"] if s["status"] == "fail")
        assert first["message"] in out and first["hint"] in out, out  # the lab's words
        assert "AssertionError" not in out and "assert " not in out, out
        assert "1 failed" in out and f"{list(expected.values()).count(False) - 1} skipped" in out
