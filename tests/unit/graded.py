"""Grade a hand-written journal with the real checks (checks/test_snapshots.py): no daemon.

Pure logic: the only stand-in is the container's file system, which `file-gone`
reads live through testinfra (`container.file(...)`).
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from snaplab.lab.grader import Evidence, run_checks
from snaplab.lab.history import History, Live
from snaplab.lab.journal import Entry
from snaplab.lab.model import Lab, load
from snaplab.lab.results import LabResult
from snaplab.pytest_plugin import Graded

LAB = load("snapshots")
FILE = LAB.params["file"]
# the chapter's steps, under the names the old evidence module gave them
FACTS = {
    "taken": "snapshot-taken",
    "listed": "snapshot-listed",
    "touched": "file-touched",
    "stopped": "container-stopped",
    "restored": "snapshot-restored",
    "started": "container-started",
    "looked": "file-gone",
    "deleted": "snapshot-deleted",
}


class Container:
    """What `container.file(path).exists` answers: the files present right now."""

    def __init__(self, present: tuple[str, ...] = ()) -> None:
        self.present = present

    def file(self, path: str) -> Any:
        return SimpleNamespace(exists=path in self.present)


def grade(
    entries: list[Entry],
    live: Live,
    present: tuple[str, ...] = (),
    lab: Lab = LAB,
    daemons: dict[str, Any] | None = None,
    local: Any = None,
) -> Graded:
    history = History(entries, live)
    base = LabResult(
        lab.id, "lxd", lab.instance, "default", history.chosen_snapshot() or lab.snapshot
    )
    evidence = Evidence(Container(present), live, history)
    graded = Graded(lab, evidence, base, {}, daemons=daemons, local=local)
    graded.outcomes = run_checks(graded)  # type: ignore[attr-defined]
    return graded


def facts(entries: list[Entry], live: Live) -> SimpleNamespace:
    """When each step was proven (None: not), and which snapshot was followed."""
    graded = grade(entries, live)
    proofs = graded.chain.proofs
    return SimpleNamespace(
        snapshot=graded.evidence.history.chosen_snapshot(),
        same_container=graded.evidence.history.same_instance,
        outcomes=graded.outcomes,  # type: ignore[attr-defined]
        **{name: proofs.get(step) for name, step in FACTS.items()},
    )
