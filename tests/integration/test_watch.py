"""`snaplab watch` in a real terminal (a tmux pane), and without one, on both daemons.

The chapter is typed by a scripted learner while one watch runs in a tmux pane and
another with its output piped (no TTY). The pane must end with every step PASS, the
score and exit 0; the piped one prints a line per change. Ctrl-C in the pane ends a
watch with 130 and no traceback. No wall time is asserted (bench/run.py measures it).
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.integration.learner import Learner
from tests.integration.test_lab_cycle import CHAPTER

pytestmark = pytest.mark.integration

BACKENDS = ["lxd", "incus"]
STEPS = 9


class Tmux:
    """A private tmux server (its own socket), killed at the end."""

    def __init__(self) -> None:
        self.socket = f"snaplab-watch-{uuid.uuid4().hex[:8]}"

    def __call__(self, *args: str) -> str:
        done = subprocess.run(
            ["tmux", "-L", self.socket, "-f", "/dev/null", *args],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def pane(self, name: str, command: str) -> None:
        """A window running `command`; the pane stays to be read after it exits."""
        shell = f"{command}; echo EXIT=$?; sleep 600"
        if not self.has_server():
            self("new-session", "-d", "-s", "t", "-n", name, "-x", "250", "-y", "50", shell)
        else:
            self("new-window", "-d", "-t", "t", "-n", name, shell)

    def has_server(self) -> bool:
        return (
            subprocess.run(
                ["tmux", "-L", self.socket, "has-session", "-t", "t"], capture_output=True
            ).returncode
            == 0
        )

    def screen(self, name: str) -> str:
        return self("capture-pane", "-p", "-J", "-t", f"t:{name}")

    def wait(self, name: str, *needles: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while True:
            seen = self.screen(name)
            if all(n in seen for n in needles):
                return seen
            if time.monotonic() > deadline:
                raise AssertionError(f"{needles} never showed in the {name} pane:\n{seen}")
            time.sleep(0.2)

    def kill(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True)


@pytest.fixture
def tmux() -> Iterator[Tmux]:
    if not shutil.which("tmux"):
        pytest.skip("tmux is not installed (make tmux)")
    t = Tmux()
    try:
        yield t
    finally:
        t.kill()


def watch_argv(me: Learner, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "snaplab",
        "watch",
        "snapshots",
        "--backend",
        me.backend,
        "--instance",
        me.instance,
        *extra,
    ]


def in_pane(me: Learner, *extra: str) -> str:
    env = {**me.env, "PYTHONPATH": str(ROOT), "TERM": "xterm-256color"}
    return "env " + shlex.join([*(f"{k}={v}" for k, v in env.items()), *watch_argv(me, *extra)])


@pytest.mark.parametrize("backend", BACKENDS)
def test_watch_ticks_in_a_terminal_and_without_one(backend, tmp_path, tmux):
    me = Learner(backend, f"watch-{backend}", tmp_path)
    with me.started():
        # Ctrl-C: exit 130, one line, no traceback
        tmux.pane("stop", in_pane(me))
        tmux.wait("stop", "FAIL    1.", "hint:", "score: 0/14")
        tmux("send-keys", "-t", "t:stop", "C-c")
        seen = tmux.wait("stop", "EXIT=")
        assert "EXIT=130" in seen and "Traceback" not in seen, seen
        assert "snaplab: interrupted" in seen

        # the chapter, watched in a pane (English) and through a pipe (Korean)
        tmux.pane("watch", in_pane(me))
        tmux.wait("watch", "FAIL    1.", "hint:")
        piped = subprocess.Popen(
            watch_argv(me, "--lang", "ko"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **me.env, "PYTHONPATH": str(ROOT)},
            cwd="/tmp",
        )
        try:
            for i, (command, stdin, recorded, ok) in enumerate(CHAPTER[backend]):
                me.type(command.replace("ubuntu-test", me.instance), stdin, recorded, ok)
                if i == 0:  # the snapshot ticks, and the next step's hint is on screen
                    seen = tmux.wait("watch", "PASS    1.", "FAIL    2.")
                    assert f"hint: run `{me.cli} info {me.instance}`" in seen, seen
            out, err = piped.communicate(timeout=60)
        finally:
            if piped.poll() is None:
                piped.kill()
                piped.wait()
        seen = tmux.wait("watch", "EXIT=")
        assert "EXIT=0" in seen, seen
        assert "lab complete: score 14/14" in seen and "score: 14/14" in seen, seen
        for n in range(1, STEPS + 1):
            assert f"PASS    {n}. " in seen, seen
        assert "FAIL" not in seen and "PENDING" not in seen and "Traceback" not in seen

        # no TTY: a line per change, no escape codes; each step turns PASS exactly once
        assert piped.returncode == 0, err
        assert "\x1b" not in out and "Traceback" not in err
        lines = out.splitlines()
        assert "지켜보는 중" in lines[0]
        for n in range(1, STEPS + 1):
            assert sum(line.startswith(f"PASS    {n}. ") for line in lines) == 1, out
        assert lines[-1] == "실습 완료: 점수 14/14", out
        assert any(line.startswith("  힌트: ") for line in lines), out


def test_watch_without_a_started_lab_says_so(tmp_path):
    me = Learner("lxd", "watch-never", tmp_path)
    done = subprocess.run(
        watch_argv(me),
        capture_output=True,
        text=True,
        env={**os.environ, **me.env, "PYTHONPATH": str(ROOT)},
        cwd="/tmp",
        timeout=60,
    )
    assert done.returncode == 5 and "Traceback" not in done.stderr, done.stderr
    assert "snaplab start snapshots" in done.stderr
    assert not Path(me.journal()).exists()
