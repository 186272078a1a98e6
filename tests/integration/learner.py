"""A scripted learner: types the chapter's commands at a human pace, then asks snaplab.

"Human pace" means: after each command that leaves a daemon event, wait until
the recorder has written it down (for a shell, its end too), as it would have
long before a person typed the next command.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest

from snaplab.lab import pacing, recorder
from snaplab.lab.journal import Session
from snaplab.lab.player import Line, Player, Typed, fault
from snaplab.testing import CLI
from tests.conftest import Run, snaplab

HUNG = 60  # seconds: no chapter command takes near this long
RECORDED = 60  # seconds a typed command's event may take to be recorded on a loaded machine


def player(**how: Any) -> Player:
    """The tests' player: a person whose command hangs presses Ctrl-C and types it again, once.

    The 5.0 `lxc exec` client now and then hangs after its command has ended (the daemon
    logged the exec's end within milliseconds; seen once in a class of 40 in CI).
    """
    return replace(Player(timeout=HUNG, retry=True, cwd="/tmp"), **how)


def work_through(
    me: Player, lines: list[Line], journal: Path, who: str, why_late: Callable[[], str] = str
) -> None:
    """The guide's lines at a person's pace: each ends as the lab says, and is recorded."""
    for line in lines:
        cmd = line.command
        done = me.play(line, journal if cmd.recorded else None)
        wrong = fault(done.returncode, done.stderr, cmd.expect_failure, cmd.shell)
        assert wrong is None, f"{who}: {line.text} {wrong.en}"
        if not done.recorded:
            pytest.fail(f"{who}: {line.text}: no event recorded in {journal}\n{why_late()}")


@dataclass
class Learner:
    backend: str
    instance: str
    state_home: Path  # XDG_STATE_HOME of the snaplab runs
    user: str | None = None
    lang: str = "en"
    history: list[str] = field(default_factory=list)
    project: str = "default"  # own_project(): the book's names, apart from anyone else's
    lab: str = "snapshots"  # any lab's id: the chapter-8 tests are this learner's most

    @property
    def cli(self) -> str:
        return CLI[self.backend]

    @property
    def env(self) -> dict[str, str]:
        return {"XDG_STATE_HOME": str(self.state_home), "SNAPLAB_LANG": self.lang}

    def journal(self) -> Path:
        """Where this learner's snaplab keeps it: a user's runs keep their own state home
        (tests.conftest.snaplab gives them no XDG_STATE_HOME)."""
        home = Path(f"/home/{self.user}/.local/state") if self.user else self.state_home
        session = Session(self.lab, self.backend, self.project, self.instance)
        return session.journal_under(home / "snaplab")

    def events(self) -> int:
        return pacing.count_events(self.journal())

    def type(
        self,
        command: str,
        stdin: list[str] | None = None,
        recorded: bool = True,
        ok: bool = True,
        quoted: bool = False,
    ) -> Typed:
        """Run one learner command (`lxc …`), as the learner's user, at a human pace.
        `quoted`: split as a shell would (a hint's `lxc query ... '/1.0/...'`)."""
        home = {**os.environ, "HOME": f"/home/{self.user}"} if self.user else None
        # until the recorder has probed: the next command must not change what it looks at
        me = player(user=self.user, env=home, wait=RECORDED, project=self.project)
        done = me.type(command, stdin or (), self.journal() if recorded else None, quoted)
        self.history.append(command)
        if ok:
            assert done.returncode == 0, f"{command}: {done.stderr}"
        if recorded and done.returncode == 0:
            assert done.recorded, f"{command}: no event recorded in {RECORDED} s"
        return done

    @contextmanager
    def started(self) -> Iterator[Learner]:
        """A started lab, finished afterwards whatever happens (and first, for a killed run)."""
        self.snaplab("finish")
        try:
            r = self.snaplab("start")
            assert r.rc == 0, r.err
            yield self
        finally:
            r = self.snaplab("finish")
            assert r.rc == 0, r.err

    def snaplab(self, verb: str, *args: str) -> Run:
        """`snaplab VERB LAB …` for this learner's session."""
        extra = ["--backend", self.backend, "--instance", self.instance, "--project", self.project]
        return snaplab(
            verb, self.lab, *extra, *args, user=self.user, env=None if self.user else self.env
        )

    def check(self) -> tuple[int, dict]:
        r = self.snaplab("check", "--json")
        assert r.rc in (0, 1), r.err
        return r.rc, json.loads(r.out)


def statuses(report: dict) -> dict[str, str]:
    return {s["id"]: s["status"] for s in report["steps"]}


def recorders_of(home: Path) -> list[int]:
    """Recorder processes a class started: their spec lives under its temp home."""
    pids = []
    for proc in Path("/proc").iterdir():
        try:
            cmd = (proc / "cmdline").read_bytes() if proc.name.isdigit() else b""
        except OSError:
            continue
        if b"snaplab.lab.recorder" in cmd and str(home).encode() in cmd:
            pids.append(int(proc.name))
    return pids


def stop(pids: list[int]) -> None:
    for pid in pids:
        recorder.terminate(pid)


def home_env(home: Path) -> dict[str, str]:
    """An instructor or learner of their own: config, certificates and journals under `home`."""
    return {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_STATE_HOME": str(home / "state"),
        "SNAPLAB_LANG": "en",
    }
