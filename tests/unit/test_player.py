"""The one player: how solve, the guide capture and the tests type a lab's commands."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from snaplab.lab.model import load
from snaplab.lab.player import Player, Typed, fault, script

LAB = load("snapshots")


def test_a_project_goes_after_the_client_and_never_into_snaplab():
    p = Player(project="ko101-s01")
    assert p.argv("lxc snapshot c1 s1") == ["lxc", "--project", "ko101-s01", "snapshot", "c1", "s1"]
    assert Player().argv("lxc info c1") == ["lxc", "info", "c1"]
    assert p.argv("snaplab check snapshots")[1:] == ["check", "snapshots"]
    assert p.argv("snaplab check snapshots")[0] == str(Path(sys.executable).parent / "snaplab")


def test_a_name_with_a_quote_reaches_the_daemon_as_typed():
    assert Player(user="lxdadmin").argv("lxc snapshot c1 it's") == [
        "runuser", "-u", "lxdadmin", "--", "lxc", "snapshot", "c1", "it's",
    ]  # fmt: skip


def test_a_shell_gets_its_lines_and_the_result_is_kept():
    done = Player().type("cat", ["touch x", "exit"])
    assert done == Typed(0, "touch x\nexit\n", "")


def test_a_hung_command_is_typed_again_once_then_given_up(tmp_path):
    count = tmp_path / "count"
    line = f"sh -c echo>>{count};sleep${{IFS}}5"
    with pytest.raises(subprocess.TimeoutExpired):
        Player(timeout=0.3, retry=True).type(line)
    assert count.read_text().count("\n") == 2
    with pytest.raises(subprocess.TimeoutExpired):
        Player(timeout=0.3).type(line)
    assert count.read_text().count("\n") == 3


def test_fault_judges_the_expected_refusal_and_lets_a_shell_be():
    refusal = "The instance is currently running"
    assert fault(1, f"Error: {refusal}", refusal, shell=False) is None
    assert fault(0, "", refusal, shell=False).en == f"should have failed with {refusal!r}"
    assert fault(1, "Error: no\n", None, shell=False).en == "failed: Error: no"
    assert fault(1, "", None, shell=True) is None  # `ls` in the shell may fail on purpose
    assert fault(0, "", None, shell=False) is None


def test_the_script_is_every_steps_commands_in_order():
    lines = script(LAB, "incus", "c1", "s1")
    assert [x.step for x in lines][:2] == [LAB.steps[0].id, LAB.steps[1].id]
    assert lines[0].text == "incus snapshot create c1 s1"
    assert script(LAB, "lxd", "c1", "s1", LAB.steps[:1])[0].text == "lxc snapshot c1 s1"
