"""Run a lab's checks in-process with pytest and collect typed results.

The checks are ordinary pytest modules (checks/test_<lab>.py), one test per step
marked with its id. snaplab's pytest plugin (snaplab/pytest_plugin.py) gives them
their fixtures, as in a plain `pytest` run; here it is handed the evidence `check`
already read, and a collector turns pytest's reports into `StepResult`s, so
`check`, `grade`, class grading and plain pytest share one grading path.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from snaplab.i18n import Text
from snaplab.lab.graded import Graded, seed
from snaplab.lab.history import History, Live
from snaplab.lab.model import Lab, Step, command_names, fill
from snaplab.lab.results import FAIL, PASS, PENDING, LabResult, StepResult


@dataclass
class Evidence:
    host: Any  # the testinfra host of the lab instance
    live: Live
    history: History
    others: dict[str, Any] | None = None  # the lab's other daemons (gather); None: ask


class Collector:
    def __init__(self, graded: Any) -> None:
        self.graded = graded
        self.outcomes: dict[str, bool] = {}
        self.step_of: dict[str, str] = {}

    def pytest_configure(self, config: pytest.Config) -> None:
        seed(config, self.graded)

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            marker = item.get_closest_marker("step")
            if marker:
                self.step_of[item.nodeid] = marker.args[0]

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        step = self.step_of.get(report.nodeid)
        if step is None:
            return
        # a skip (an earlier step not done) is not a pass
        if report.when == "call" or report.failed or report.skipped:
            self.outcomes[step] = self.outcomes.get(step, True) and report.passed


def run_checks(graded: Any) -> dict[str, bool]:
    """pytest.main on the lab's check module, quietly, with only snaplab's plugin.

    `graded` (snaplab.lab.graded.Graded) is the evidence already read; afterwards
    its `chain` holds when each step was proven."""
    from snaplab import inprocess

    collector = Collector(graded)
    inprocess.run(graded.lab.checks, collector)
    return collector.outcomes


Failures = dict[str, tuple[str, dict[str, str]]]  # step -> (reason, its names): Chain.failures


def _words(
    step: Step, names: dict[str, str], command_for: dict[str, str], failures: Failures | None
) -> tuple[Text, Text]:
    """A failed step's message and hint: the reason its check named, else the step's own."""
    params = {**names, "command": command_for.get(step.id, "")}
    reason, extra = (failures or {}).get(step.id, ("", {}))
    if reason in step.reasons:
        said = step.reasons[reason]
        params = {**command_names(command_for), **params, **extra}
        return fill(said.failed, params), fill(said.hint, params)
    return fill(step.failed, params), fill(step.hint, params)


def results(
    lab: Lab,
    outcomes: dict[str, bool],
    names: dict[str, str],
    command_for: dict[str, str],
    failures: Failures | None = None,
) -> list[StepResult]:
    """Pass, or the first unfinished step fails with its hint and the rest are pending.
    `failures`: the reasons the checks named (a step without one fails with its own text)."""
    out: list[StepResult] = []
    first_open = True
    for step in lab.steps:
        params = {**names, "command": command_for.get(step.id, "")}
        passed = outcomes.get(step.id, False)
        if passed:
            status, message, hint = PASS, fill(step.passed, params), None
        elif first_open:
            status = FAIL
            message, hint = _words(step, names, command_for, failures)
            first_open = False
        else:
            status, hint = PENDING, None
            message = _words(step, names, command_for, failures)[0]
        out.append(
            StepResult(
                step.id,
                step.title,
                status,
                step.points if passed else 0,
                step.points,
                message,
                hint,
            )
        )
    return out


def failure(
    lab: Lab,
    step_id: str,
    names: dict[str, str],
    command_for: dict[str, str],
    failures: Failures | None = None,
) -> tuple[Text, Text]:
    """A step's fail message and hint, as `check` words them: what plain pytest reports."""
    step = next(s for s in lab.steps if s.id == step_id)
    return _words(step, names, command_for, failures)


def grade(lab: Lab, evidence: Evidence, base: LabResult, command_for: dict[str, str]) -> LabResult:
    graded = Graded(lab, evidence, base, command_for)
    outcomes = run_checks(graded)
    base.steps = results(lab, outcomes, graded.params, command_for, graded.chain.failures)
    base.stamp(graded.chain.begun, graded.chain.proofs)
    return base
