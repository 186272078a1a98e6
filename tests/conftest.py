"""The one way tests drive the CLI: `snaplab(...)`, as root or as another user."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from snaplab.backends import NAMES

ROOT = Path(__file__).resolve().parent.parent
VENV_SNAPLAB = Path(os.environ.get("SNAPLAB_VENV", "/opt/snaplab/venv")) / "bin" / "snaplab"


@dataclass
class Run:
    rc: int
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        return self.err.strip().splitlines()


def snaplab(
    *args: str,
    user: str | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 600,
    check_no_traceback: bool = True,
) -> Run:
    """Run the installed CLI in a fresh process, optionally as `user` (runuser, real groups).

    Every run is also checked for a traceback: no input may produce one.
    """
    if user:
        # another user cannot read a pyenv under /root: use the installed venv
        argv = ["runuser", "-u", user, "--", str(VENV_SNAPLAB), *args]
    else:
        argv = [sys.executable, "-m", "snaplab", *args]
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    if user:
        full_env.pop("PYTHONPATH")
        full_env["HOME"] = f"/home/{user}"
        full_env.pop("XDG_STATE_HOME", None)
    done = subprocess.run(
        argv, capture_output=True, text=True, env=full_env, timeout=timeout, cwd="/tmp"
    )
    if check_no_traceback:
        assert "Traceback" not in done.stderr, done.stderr
    return Run(done.returncode, done.stdout, done.stderr)


@pytest.fixture
def cli():
    return snaplab


# `make test` runs the suite on two pytest-xdist workers (`-n 2 --dist loadgroup`): the
# tests of one daemon all go to one worker, in order, as they ran before, while the other
# daemon's go to the other. The daemon-bound tests mostly wait, so the two halves overlap.
# A test names its daemon by a parameter (`backend`, or a fixture's); one that has none
# says so with `pytest.mark.xdist_group`, else it joins LXD's. Nothing a test makes may be shared
# across the two (a user, a machine-wide file): see `worker_suffix` and host/keep.py.
DEFAULT_GROUP = "lxd"


def pytest_itemcollected(item: pytest.Item) -> None:
    """As each test is collected: xdist reads the marks in its own collection_modifyitems,
    which a conftest's, even tryfirst, was seen to follow."""
    if item.get_closest_marker("xdist_group") or not item.get_closest_marker("integration"):
        return
    params = getattr(item, "callspec", None)
    named = [v for v in params.params.values() if v in NAMES] if params else []
    item.add_marker(pytest.mark.xdist_group(named[0] if named else DEFAULT_GROUP))


def worker_suffix() -> str:
    """'-gw0' on an xdist worker, '' alone: for what each worker must have its own of."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    return f"-{worker}" if worker else ""
