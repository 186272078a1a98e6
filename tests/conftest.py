"""The one way tests drive the CLI: `snaplab(...)`, as root or as another user."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

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
