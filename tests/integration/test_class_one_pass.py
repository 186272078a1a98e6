"""A class of three graded in one pass, on each real daemon: plain pytest with `--lab-roster`
and `snaplab class grade` give each learner the same verdict.

kim takes a snapshot in their project; lee and park do nothing. In one pytest session each
check runs once per learner, its id naming them: kim's first step passes, lee's fails.
`class grade` then gives the same rows. The class is torn down after, even on a failure.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import time
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from snaplab.backends import NAMES
from snaplab.lab.journal import Session
from snaplab.lab.model import load, placeholders, render
from tests.conftest import ROOT, snaplab

pytestmark = pytest.mark.integration

LAB = load("snapshots")
RECORDED = 60  # seconds the recorder may take to write an event on a busy machine


def recorded(session: Session, action: str) -> bool:
    deadline = time.monotonic() + RECORDED
    while time.monotonic() < deadline:
        if any(e.action == action for e in session.entries()):
            return True
        time.sleep(0.2)
    return False


def outcomes(junit: Path) -> dict[str, str]:
    """Each test's outcome in the JUnit file, by its name (`test_snapshot_taken[kim]`)."""
    out = {}
    for case in ET.parse(junit).iter("testcase"):
        kinds = {child.tag for child in case}
        out[case.get("name", "")] = (
            "failed"
            if kinds & {"failure", "error"}
            else "skipped"
            if "skipped" in kinds
            else "passed"
        )
    return out


@pytest.mark.parametrize("backend", NAMES)
def test_a_class_graded_in_one_pass(backend, tmp_path, monkeypatch):
    name = f"h1op{uuid.uuid4().hex[:6]}"
    state = tmp_path / "state"
    env = {"XDG_STATE_HOME": str(state), "SNAPLAB_LANG": "en"}
    monkeypatch.setenv("XDG_STATE_HOME", str(state))
    roster = tmp_path / f"{name}.csv"
    rows = "".join(f"{who},{who.title()},local,{backend}\n" for who in ("kim", "lee", "park"))
    roster.write_text("id,name,target,backend\n" + rows)
    setup = snaplab("class", "setup", str(roster), env=env, timeout=600)
    try:
        assert setup.rc == 0, setup.out + setup.err
        kim = Session(LAB.id, backend, f"{name}-kim", LAB.instance)
        fill = placeholders(LAB, backend, LAB.instance, LAB.snapshot)
        for command in LAB.steps[0].commands[backend]:  # the guide's own: take the snapshot
            typed = [*shlex.split(render(command, fill)), "--project", kim.project]
            subprocess.run(typed, check=True, capture_output=True)
        assert recorded(kim, "instance-snapshot-created")

        junit = tmp_path / "class.xml"
        run = subprocess.run(
            [sys.executable, "-m", "pytest", str(LAB.checks), "--lab-roster", str(roster)]
            + ["--junitxml", str(junit), "-p", "no:cacheprovider", "-c", "/dev/null", "-q"],
            capture_output=True,
            text=True,
            env={**os.environ, **env, "PYTHONPATH": str(ROOT)},
            cwd="/tmp",
            timeout=300,
        )
        assert run.returncode == 1, run.stdout + run.stderr  # some checks fail: lee's, park's
        found = outcomes(junit)
        assert len(found) == 3 * len(LAB.steps)  # every check once per learner
        assert found["test_snapshot_taken[kim]"] == "passed"
        assert found["test_snapshot_taken[lee]"] == "failed"
        assert found["test_snapshot_taken[park]"] == "failed"

        book = tmp_path / "book"
        grade = snaplab("class", "grade", str(roster), "--out", str(book), env=env, timeout=300)
        assert grade.rc == 0, grade.out + grade.err
        rows = {r["id"]: r for r in json.loads((book / "gradebook.json").read_text())["learners"]}
        assert [rows[i]["status"] for i in ("kim", "lee", "park")] == ["graded"] * 3
        assert rows["kim"]["score"] == LAB.steps[0].points
        assert rows["lee"]["score"] == rows["park"]["score"] == 0
        for who, row in rows.items():  # the same verdict, step by step, as plain pytest's
            for step, check in zip(row["steps"], step_checks(found, who), strict=True):
                assert (step["status"] == "pass") == (check == "passed"), (who, step["id"])
            # each learner read once their recorder wrote the grade's mark: nothing behind
            assert row["notes"] == [], row["notes"]
        assert any(e.kind == "mark" for e in kim.entries())  # the class recorder wrote it
    finally:
        snaplab("class", "teardown", str(roster), env=env, timeout=600)


def step_checks(found: dict[str, str], who: str) -> list[str]:
    """Plain pytest's outcomes of one learner's checks, in the lab's step order (the run's)."""
    return [outcome for name, outcome in found.items() if name.endswith(f"[{who}]")]
