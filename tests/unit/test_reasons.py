"""A step's specific failure reasons (lab.yaml `reasons:`, `step.fails`): declared, checked
when the lab loads, and shown instead of the step's generic text by every grading path."""

from __future__ import annotations

import copy
from dataclasses import replace

import pytest
import yaml

from snaplab import inprocess
from snaplab.errors import ExitCode, SnaplabError
from snaplab.i18n import Text
from snaplab.lab import grader, model
from snaplab.lab.coverage import failures, problems
from snaplab.lab.order import Chain, Step
from snaplab.lab.results import FAIL, PENDING
from snaplab.lab.schema import validate
from snaplab.paths import data_dir
from tests.unit.graded import LAB

REASON = {
    "names": ["current"],
    "fail": {"en": "renamed to {current}", "ko": "{current}(으)로 이름을 바꿨습니다"},
    "hint": {"en": "`{command}` after {current}", "ko": "{current} 다음 `{command}`"},
}


def shipped() -> dict:
    return yaml.safe_load((data_dir("labs") / "snapshots" / "lab.yaml").read_text())


def with_reason(reason: dict, step: int = 1) -> dict:
    doc = copy.deepcopy(shipped())
    doc["steps"][step].setdefault("reasons", {})["renamed"] = reason
    return doc


def lab_error(doc: dict) -> str:
    with pytest.raises(SnaplabError) as caught:
        model.parse(doc, "labs/x/lab.yaml")
    assert caught.value.code == ExitCode.LAB_INVALID
    return caught.value.render("en")


def test_a_reason_is_read_with_its_texts_and_names():
    lab = model.parse(with_reason(REASON), "labs/x/lab.yaml")
    said = lab.steps[1].reasons["renamed"]
    assert said.names == ("current",)
    assert said.failed == Text("renamed to {current}", "{current}(으)로 이름을 바꿨습니다")


def test_a_reason_is_validated_with_the_rest_of_the_lab():
    doc = shipped()
    doc["steps"][1]["reasons"] = {
        "Bad_Id": {"fail": REASON["fail"], "hint": {"en": "x"}},
        "ok": {"fail": REASON["fail"], "hint": REASON["hint"], "names": ["Not-A-Name"], "x": 1},
    }
    errors = validate(doc)
    assert (
        "steps[1].reasons.Bad_Id: a reason id must be lower-case letters, digits and dashes"
        in errors
    )
    assert "steps[1].reasons.Bad_Id.hint.ko: missing" in errors
    assert "steps[1].reasons.ok.names[0]: must be lower-case letters, digits and _" in errors
    assert "steps[1].reasons.ok.x: unknown key" in errors


def test_a_reason_text_naming_what_nobody_passes_is_a_lab_error():
    typo = copy.deepcopy(REASON)
    typo["hint"]["ko"] = "{curent} 다음"
    said = lab_error(with_reason(typo))
    assert (
        "steps.snapshot-listed.reasons.renamed: {curent} is not a parameter, a step's command "
        "or one of its names" in said
    )
    shadow = copy.deepcopy(REASON)
    shadow["names"] = ["current", "instance"]
    said = lab_error(with_reason(shadow))
    assert "steps.snapshot-listed.reasons.renamed: names instance is a parameter already" in said


def test_a_reason_may_name_any_steps_command_but_a_step_text_may_not():
    other = copy.deepcopy(REASON)
    other["hint"]["en"] = "stop first: `{command_container_stopped}`, then `{command}`"
    model.parse(with_reason(other), "labs/x/lab.yaml")
    doc = shipped()
    doc["steps"][1]["hint"]["en"] = "`{command_container_stopped}`"  # the guide shows it as is
    assert "{command_container_stopped} is not a parameter" in lab_error(doc)


CHECKS = """
import pytest

@pytest.mark.step("a")
def test_a(step):
    if step:
        step.fails("gone")
    step.fails("renamed", current="x")

@pytest.mark.step("b")
def test_b(step, names):
    step.fails("renamed", **names)
    step.fails("renamd", current="x", extra=1)
"""


def test_a_check_failing_with_an_undeclared_reason_or_names_is_found_before_it_runs(tmp_path):
    path = tmp_path / "test_x.py"
    path.write_text(CHECKS)
    assert failures(CHECKS) == [
        ("a", "gone", set()),
        ("a", "renamed", {"current"}),
        ("b", "renamed", None),
        ("b", "renamd", {"current", "extra"}),
    ]
    declared = {"a": {"renamed": {"current"}}, "b": {"renamed": {"current"}}}
    assert problems(["a", "b"], path, declared) == [
        "checks: step a fails with 'gone', not in its reasons",
        "checks: step b fails with 'renamd', not in its reasons",
    ]
    declared["a"]["gone"] = {"why"}
    found = problems(["a", "b"], path, declared)
    assert "checks: step a fails with 'gone' naming nothing; its names are why" in found


def test_the_shipped_checks_fail_only_with_declared_reasons():
    for lab_id in model.lab_ids():
        lab = model.load(lab_id)  # loading checks it: this names what would be wrong
        declared = {s.id: {r: set(x.names) for r, x in s.reasons.items()} for s in lab.steps}
        assert problems([s.id for s in lab.steps], lab.checks, declared) == []


def test_step_fails_records_the_reason_and_refuses_what_the_lab_does_not_declare():
    reasons = model.parse(with_reason(REASON), "x").steps[1].reasons
    chain = Chain(["a", "b"], None)
    step = Step(chain, "b", reasons)
    with pytest.raises(pytest.fail.Exception):
        step.fails("renamed", current="gold")
    assert chain.failures == {"b": ("renamed", {"current": "gold"})}
    with pytest.raises(LookupError, match="declares no reason 'renamd'"):
        step.fails("renamd", current="gold")
    with pytest.raises(TypeError, match="takes names current"):
        step.fails("renamed")


def test_check_and_grade_show_the_reason_instead_of_the_steps_words():
    lab = model.parse(with_reason(REASON), "x")
    outcomes = {lab.steps[0].id: True}
    commands = {s.id: f"run {s.id}" for s in lab.steps}
    names = model.placeholders(lab, "lxd", "web", "s1")
    failed = {lab.steps[1].id: ("renamed", {"current": "gold"})}
    steps = grader.results(lab, outcomes, names, commands, failed)
    assert steps[1].status == FAIL
    assert steps[1].message == Text("renamed to gold", "gold(으)로 이름을 바꿨습니다")
    assert steps[1].hint == Text(
        "`run snapshot-listed` after gold", "gold 다음 `run snapshot-listed`"
    )
    assert steps[2].status == PENDING and steps[2].message.en.startswith("no /root/this_file")
    # without a reason, the step's own words, as before
    plain = grader.results(lab, outcomes, names, commands)
    assert plain[1].message.en == "web's info was not looked at after s1 was taken"
    # what plain pytest reports
    message, hint = grader.failure(lab, lab.steps[1].id, names, commands, failed)
    assert (message.en, hint.ko) == ("renamed to gold", "gold 다음 `run snapshot-listed`")


class Reports(grader.Collector):
    """What a plain pytest run reports for each failed step (the plugin's makereport)."""

    def __init__(self, graded) -> None:
        super().__init__(graded)
        self.said: dict[str, str] = {}

    def pytest_runtest_logreport(self, report) -> None:
        super().pytest_runtest_logreport(report)
        if report.failed:
            self.said[self.step_of[report.nodeid]] = str(report.longrepr)


def test_plain_pytest_reports_the_reasons_text_and_hint():
    """A restore while running, never stopped: the stop step says so, in pytest's report."""
    from tests.unit.graded import grade
    from tests.unit.test_lab_evidence import chapter, live

    es = [e for e in chapter(running_restore=True) if e.action != "instance-shutdown"]
    graded = grade(es[:7], live())
    graded.commands = {
        s.id: "; ".join(model.render(c, graded.params) for c in s.commands["lxd"])
        for s in graded.lab.steps
    }
    graded.chain.failures.clear()
    graded.chain.proofs.clear()
    reports = Reports(graded)
    inprocess.run(graded.lab.checks, reports)
    said = reports.said["container-stopped"]
    assert said.splitlines() == [
        "snap was restored while ubuntu-test was running: it was never stopped first",
        "hint: ubuntu-test runs now: stop it with `lxc stop ubuntu-test`, then restore again "
        "while it is stopped: `lxc restore ubuntu-test snap`",
    ]


def test_a_lab_without_reasons_grades_as_before():
    bare = replace(LAB, steps=tuple(replace(s, reasons={}) for s in LAB.steps))
    assert all(not s.reasons for s in bare.steps)
    names = model.placeholders(bare, "lxd", "ubuntu-test", "s1")
    steps = grader.results(bare, {}, names, {}, {"snapshot-taken": ("gone", {})})
    assert steps[0].message.en == "no snapshot of ubuntu-test was taken since the lab started"
