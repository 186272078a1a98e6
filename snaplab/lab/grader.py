"""Run a lab's checks in-process with pytest and collect typed results.

The checks are ordinary testinfra test modules (checks/test_<lab>.py), one test
per step marked with its id. This plugin hands them their fixtures (`host`,
`facts`, `live`) and turns pytest's reports into `StepResult`s, so `check`,
`grade` and class grading all share one grading path.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import pytest

from snaplab.i18n import Text
from snaplab.lab.evidence import Facts, Live
from snaplab.lab.model import Lab, placeholders
from snaplab.lab.results import FAIL, PASS, PENDING, LabResult, StepResult

# pytest's own plugins that grading never uses: fewer to load, a faster `check`
UNUSED_PLUGINS = (
    "terminal",
    "cacheprovider",
    "doctest",
    "junitxml",
    "pastebin",
    "stepwise",
    "unittest",
    "debugging",
    "faulthandler",
    "setuponly",
    "setupplan",
    "legacypath",
    "unraisableexception",  # its clean-up runs gc.collect() again and again
    "threadexception",
)


@dataclass
class Evidence:
    host: Any  # the testinfra host of the lab instance
    live: Live
    facts: Facts


class Collector:
    def __init__(self, evidence: Evidence) -> None:
        self.evidence = evidence
        self.outcomes: dict[str, bool] = {}
        self.step_of: dict[str, str] = {}

    def pytest_configure(self, config: pytest.Config) -> None:
        config.addinivalue_line("markers", "step(id): the lab step this check grades")

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            marker = item.get_closest_marker("step")
            if marker:
                self.step_of[item.nodeid] = marker.args[0]

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        step = self.step_of.get(report.nodeid)
        if step is None:
            return
        if report.when == "call" or report.failed:
            self.outcomes[step] = self.outcomes.get(step, True) and report.passed

    @pytest.fixture
    def host(self) -> Any:
        return self.evidence.host

    @pytest.fixture
    def facts(self) -> Facts:
        return self.evidence.facts

    @pytest.fixture
    def live(self) -> Live:
        return self.evidence.live


def run_checks(lab: Lab, evidence: Evidence) -> dict[str, bool]:
    """pytest.main on the lab's check module, quietly, with only our plugin."""
    collector = Collector(evidence)
    saved = os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # the learner's plugins are not graders
    try:
        quiet = [f"no:{name}" for name in UNUSED_PLUGINS]
        pytest.main(
            [
                str(lab.checks),
                *[arg for name in quiet for arg in ("-p", name)],
                "-c",
                os.devnull,
                "--rootdir",
                str(lab.checks.parent),
                # no conftest.py above the checks is ours to load (nor worth the stat calls)
                "--confcutdir",
                str(lab.checks.parent),
                "-W",
                "ignore::UserWarning",
                # messages come from the lab data, not from assert introspection,
                # so the checks need no rewriting (about 40 ms a run)
                "--assert=plain",
            ],
            plugins=[collector],
        )
    finally:
        if saved is None:
            os.environ.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)
        else:
            os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = saved
    return collector.outcomes


def results(
    lab: Lab, outcomes: dict[str, bool], fill: dict[str, str], command_for: dict[str, str]
) -> list[StepResult]:
    """Pass, or the first unfinished step fails with its hint and the rest are pending."""
    out: list[StepResult] = []
    first_open = True
    for step in lab.steps:
        params = {**fill, "command": command_for.get(step.id, "")}
        passed = outcomes.get(step.id, False)
        if passed:
            status, message, hint = PASS, _fmt(step.passed, params), None
        elif first_open:
            status, message, hint = FAIL, _fmt(step.failed, params), _fmt(step.hint, params)
            first_open = False
        else:
            status, message, hint = PENDING, _fmt(step.failed, params), None
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


def _fmt(t: Text, params: dict[str, str]) -> Text:
    return Text(t.en.format(**params), t.ko.format(**params))


def fill_of(lab: Lab, base: LabResult) -> dict[str, str]:
    """The placeholders a lab's messages may use, as the learner's session has them."""
    return placeholders(lab, base.instance, base.snapshot)


def failure(
    lab: Lab, step_id: str, base: LabResult, command_for: dict[str, str]
) -> tuple[Text, Text]:
    """A step's fail message and hint, as `check` words them: what plain pytest reports."""
    step = next(s for s in lab.steps if s.id == step_id)
    params = {**fill_of(lab, base), "command": command_for.get(step_id, "")}
    return _fmt(step.failed, params), _fmt(step.hint, params)


def grade(lab: Lab, evidence: Evidence, base: LabResult, command_for: dict[str, str]) -> LabResult:
    outcomes = run_checks(lab, evidence)
    base.steps = results(lab, outcomes, fill_of(lab, base), command_for)
    return base
