"""One check per step, found from the check module's source before any daemon is touched."""

from __future__ import annotations

import pytest
import yaml

from snaplab.errors import ExitCode, SnaplabError
from snaplab.lab import model
from snaplab.lab.coverage import marked_steps, problems
from snaplab.lab.packs import Pack
from snaplab.paths import data_dir

STEPS = ["a", "b"]
GOOD = """
import pytest
from pytest import mark

@pytest.mark.step("a")
def test_a(): pass

@mark.step("b")
def test_b(): pass

def helper(): pass
"""


def write(tmp_path, source: str):
    path = tmp_path / "test_lab.py"
    path.write_text(source)
    return path


def test_the_markers_are_read_in_order():
    assert marked_steps(GOOD) == ["a", "b"]


def test_a_module_that_checks_every_step_once_has_no_problems(tmp_path):
    assert problems(STEPS, write(tmp_path, GOOD)) == []


def test_a_mistyped_marker_leaves_a_step_unchecked_and_names_no_step(tmp_path):
    found = problems(STEPS, write(tmp_path, GOOD.replace('step("b")', 'step("bb")')))
    assert any("steps.b: no check" in p for p in found)
    assert any("step('bb') names no step" in p for p in found)


def test_two_checks_for_one_step_are_refused(tmp_path):
    found = problems(
        STEPS, write(tmp_path, GOOD + '\n@pytest.mark.step("a")\ndef test_c(): pass\n')
    )
    assert found == ["checks: 2 checks are marked step('a'); one step, one check"]


def test_a_check_module_that_does_not_parse_is_a_lab_error(tmp_path):
    found = problems(STEPS, write(tmp_path, "def broken(:\n"))
    assert len(found) == 1 and found[0].startswith("checks: test_lab.py line 1")


def test_the_shipped_labs_check_every_step():
    for lab_id in model.lab_ids():
        lab = model.load(lab_id)
        assert problems([s.id for s in lab.steps], lab.checks) == []


def test_loading_a_lab_with_an_unchecked_step_is_exit_7(tmp_path):
    (tmp_path / "checks").mkdir()
    (tmp_path / "checks" / "test_snapshots.py").write_text(
        (data_dir("checks") / "test_snapshots.py").read_text().replace("file-gone", "file-gon")
    )
    doc = yaml.safe_load((data_dir("labs") / "snapshots" / "lab.yaml").read_text())
    with pytest.raises(SnaplabError) as caught:
        model.parse(doc, "labs/snapshots/lab.yaml", Pack(tmp_path, "test"))
    assert caught.value.code == ExitCode.LAB_INVALID
    assert "steps.file-gone: no check" in str(caught.value)
