"""The class bench's pure parts: a gradebook that does not match the class set up is no
figure, and the section renders every size with its per-learner figures."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import classes  # noqa: E402


class Broken(Exception):
    pass


def book(scores: list[int | None]) -> str:
    rows = [
        {"id": f"l{i:03d}", "status": "graded" if s is not None else "failed", "score": s}
        | {"max_score": 14, "reason": ""}
        for i, s in enumerate(scores, 1)
    ]
    return json.dumps({"learners": rows})


def test_a_class_grading_as_set_up_passes():
    classes.graded_as_set_up(book([14, 14, 0, 0]), 2, 4, Broken)
    classes.graded_as_set_up(book([14, 14, 2, 2]), 2, 4, Broken, begun=2)


def test_a_class_begun_grading_as_not_begun_is_broken():
    with pytest.raises(Broken):
        classes.graded_as_set_up(book([14, 14, 0, 2]), 2, 4, Broken, begun=2)


@pytest.mark.parametrize(
    "scores",
    [[14, 0, 0, 0], [14, 14, 0, None], [14, 14, 0], [0, 14, 14, 0]],
    ids=["one-solved", "one-failed", "one-missing", "wrong-learners"],
)
def test_a_class_not_grading_as_set_up_is_broken(scores):
    with pytest.raises(Broken):
        classes.graded_as_set_up(book(scores), 2, 4, Broken)


def test_render_names_every_size_and_the_growth():
    size = {
        "setup": 2.0,
        "setup_cpu": {"daemon": 1.0, "snaplab": 0.5},
        "grade": {"median": 1.0, "min": 0.9, "max": 1.1},
        "grade_cold": 4.5,
        "plain_pytest": {"median": 1.5, "min": 1.4, "max": 1.6},
        "begun": {
            "grade": {"median": 1.2, "min": 1.1, "max": 1.3},
            "grade_cold": 5.5,
            "plain_pytest": {"median": 1.7, "min": 1.6, "max": 1.8},
        },
        "teardown": 3.0,
        "per_learner": {"setup": 0.2, "setup_cpu": 0.15, "grade": 0.1, "teardown": 0.3},
    }
    results = {
        "lxd": {
            "sizes": {"10": size, "50": size},
            "growth_per_learner": {"setup": 1.0, "setup_cpu": 1.0, "grade": 1.0, "teardown": 1.0},
            "targets": [],
        }
    }

    def table(rows):
        return "\n".join(" ".join(r) for r in rows)

    out = "\n".join(classes.render(results, lambda s: f"{s['median']:.3f}", table, lambda r: []))
    assert (
        "lxd 10 2.00 0.200 1.0+0.5 0.150 4.50 1.000 0.100 1.500 5.50 1.200 1.700 3.00 0.300" in out
    )
    assert "lxd 50 " in out
    assert "growth per learner: setup 1.0×" in out


def junit(tmp_path: Path, cases: dict[str, list[str]]) -> str:
    """A JUnit file of each learner's checks, one outcome each: pass, failure or skipped."""
    body = "".join(
        f'<testcase name="test_{n}[{who}]">' + ("" if o == "pass" else f"<{o}/>") + "</testcase>"
        for who, outcomes in cases.items()
        for n, o in enumerate(outcomes)
    )
    path = tmp_path / "plain.xml"
    path.write_text(f"<testsuites><testsuite>{body}</testsuite></testsuites>")
    return str(path)


def test_plain_pytest_grading_as_set_up_passes(tmp_path):
    done, idle = ["pass"] * 3, ["failure", "skipped", "skipped"]
    classes.junit_as_set_up(junit(tmp_path, {"l001": done, "l002": idle}), 1, 2, Broken)
    begun = ["pass", "failure", "skipped"]
    classes.junit_as_set_up(junit(tmp_path, {"l001": done, "l002": begun}), 1, 2, Broken, True)
    with pytest.raises(Broken):
        classes.junit_as_set_up(junit(tmp_path, {"l001": done, "l002": idle}), 1, 2, Broken, True)


@pytest.mark.parametrize(
    "idle",
    [["pass"] * 3, ["failure", "failure", "skipped"], ["skipped"] * 3, ["error", "skipped"], []],
    ids=["passed", "two-failed", "none-failed", "an-error", "missing"],
)
def test_plain_pytest_not_grading_as_set_up_is_broken(tmp_path, idle):
    cases = {"l001": ["pass"] * 3, "l002": idle} if idle else {"l001": ["pass"] * 3}
    with pytest.raises(Broken):
        classes.junit_as_set_up(junit(tmp_path, cases), 1, 2, Broken)
