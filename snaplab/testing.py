"""Testing a lab: what a pack's own tests use, with no copy of snaplab's tests/.

Two ways, both public and kept stable (as snaplab/rules.py is for checks):

- `grade_journal(lab, entries, live)`: the lab's real checks, run on a hand-written
  journal. Pure logic, no daemon: every check can be shown to fail when its step
  was not done.
- the `lab_learner` fixture (snaplab's pytest plugin): a learner on a real daemon,
  in a project of their own, who starts the lab, types a step's commands as
  `solve` does (at a person's pace: each waits until the recorder wrote its event
  down), checks, and finishes; the project is removed afterwards.

    @pytest.mark.parametrize("backend", ["lxd", "incus"])
    def test_my_lab(lab_learner, backend):
        me = lab_learner("my-lab", backend)
        assert me.score() == 0
        me.do("snapshot-taken")
        assert me.statuses()["snapshot-taken"] == "pass"
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from snaplab.lab.graded import Graded
from snaplab.lab.grader import Evidence, run_checks
from snaplab.lab.history import History, Live
from snaplab.lab.journal import Entry, Session
from snaplab.lab.model import Lab, load
from snaplab.lab.player import Player, fault, script
from snaplab.lab.results import LabResult

__all__ = ["Container", "Entry", "LabLearner", "Live", "grade_journal", "own_project"]

CLI = {"lxd": "lxc", "incus": "incus"}


class Container:
    """`container.file(path).exists` for a hand-written journal: the files present now."""

    def __init__(self, present: tuple[str, ...] = ()) -> None:
        self.present = present

    def file(self, path: str) -> Any:
        from types import SimpleNamespace

        return SimpleNamespace(exists=path in self.present)


def grade_journal(
    lab: Lab | str,
    entries: list[Entry],
    live: Live,
    present: tuple[str, ...] = (),
    daemons: dict[str, Any] | None = None,
    local: Any = None,
) -> Graded:
    """The lab's checks on these entries; `.outcomes` maps each step to passed or not, and
    `.chain.proofs` says when each was proven. `present`: files the container has now;
    `daemons`, `local`: stand-ins for checks that ask them."""
    lab = load(lab) if isinstance(lab, str) else lab
    history = History(entries, live)
    base = LabResult(
        lab.id, "lxd", lab.instance, "default", history.chosen_snapshot() or lab.snapshot
    )
    graded = Graded(lab, Evidence(Container(present), live, history), base, {}, daemons, local)
    graded.outcomes = run_checks(graded)  # type: ignore[attr-defined]
    return graded


@contextmanager
def own_project(backend: str, prefix: str) -> Iterator[str]:
    """A project of the test's own on the main daemon, with the default project's images and
    profiles: the lab's default names meet no container a person or another test made, and
    its `finish` can touch none of theirs."""
    cli = CLI[backend]
    name = f"{prefix}-{uuid.uuid4().hex[:6]}"
    make = [cli, "project", "create", name, "-c", "features.images=false"]
    subprocess.run([*make, "-c", "features.profiles=false"], check=True, capture_output=True)
    try:
        yield name
    finally:
        subprocess.run([cli, "project", "delete", name], capture_output=True)


RECORDED = 60  # seconds a typed command's event may take to be recorded on a busy machine


@dataclass
class LabLearner:
    """One learner of one lab on one daemon, driving the installed `snaplab` and client."""

    lab: Lab
    backend: str
    project: str
    state_home: Path
    instance: str = ""  # "": the lab's own
    lang: str = "en"

    def __post_init__(self) -> None:
        self.instance = self.instance or self.lab.instance

    @property
    def journal(self) -> Path:
        session = Session(self.lab.id, self.backend, self.project, self.instance)
        return session.journal_under(self.state_home / "snaplab")

    def snaplab(self, verb: str, *args: str) -> subprocess.CompletedProcess:
        """`snaplab VERB LAB ...` for this learner's session, as a separate process."""
        argv = [str(Path(sys.prefix) / "bin" / "snaplab"), verb, self.lab.id]
        argv += ["--backend", self.backend, "--instance", self.instance, "--project", self.project]
        env = {**os.environ, "XDG_STATE_HOME": str(self.state_home), "SNAPLAB_LANG": self.lang}
        done = subprocess.run([*argv, *args], capture_output=True, text=True, env=env, cwd="/tmp")
        assert "Traceback" not in done.stderr, done.stderr
        return done

    def start(self) -> None:
        done = self.snaplab("start")
        assert done.returncode == 0, done.stderr

    def finish(self) -> str:
        done = self.snaplab("finish")
        assert done.returncode == 0, done.stderr
        return done.stdout

    def do(self, step_id: str) -> None:
        """The step's commands as the guide shows them, each ending as the lab says."""
        me = Player(project=self.project, wait=RECORDED, cwd="/tmp")
        steps = [s for s in self.lab.steps if s.id == step_id]
        assert steps, f"{self.lab.id} has no step {step_id}"
        for line in script(self.lab, self.backend, self.instance, self.lab.snapshot, steps):
            wait = self.journal if line.command.recorded else None
            done = me.play(line, wait)
            wrong = fault(
                done.returncode, done.stderr, line.command.expect_failure, line.command.shell
            )
            assert wrong is None, f"{line.text}: {wrong.en}"
            assert done.recorded, f"{line.text}: no event recorded in {self.journal}"

    def type(self, command: str, stdin: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
        """A command of the learner's own (a wrong path), in their project."""
        me = Player(project=self.project, wait=RECORDED, cwd="/tmp")
        done = me.type(command, stdin, self.journal)
        return subprocess.CompletedProcess(command, done.returncode, done.stdout, done.stderr)

    def check(self) -> dict[str, Any]:
        done = self.snaplab("check", "--json")
        assert done.returncode in (0, 1), done.stderr
        return dict(json.loads(done.stdout))

    def statuses(self) -> dict[str, str]:
        return {s["id"]: s["status"] for s in self.check()["steps"]}

    def score(self) -> int:
        return int(self.check()["score"])

    def solve(self) -> None:
        done = self.snaplab("solve")
        assert done.returncode == 0, done.stderr


@contextmanager
def learner(lab_id: str, backend: str, state_home: Path, lang: str = "en") -> Iterator[LabLearner]:
    """A started learner in a project of its own; finished and removed afterwards."""
    with own_project(backend, "lab") as project:
        me = LabLearner(load(lab_id), backend, project, state_home, lang=lang)
        me.start()
        try:
            yield me
        finally:
            me.finish()
