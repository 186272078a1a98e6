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
    assert "lxd 10 2.00 0.200 1.0+0.5 0.150 4.50 1.000 0.100 3.00 0.300" in out
    assert "lxd 50 " in out
    assert "growth per learner: setup 1.0×" in out
