"""One set of placeholders for a lab's texts: `check`, plain pytest and the guide fill the same."""

from __future__ import annotations

from dataclasses import replace

from snaplab.i18n import Text
from snaplab.lab import grader
from snaplab.lab.model import load, placeholders

LAB = load("snapshots")


def test_file_instance_and_snapshot_fill_a_check_message_and_hint():
    first = replace(
        LAB.steps[0],
        failed=Text("no {file} in {instance}/{snapshot}", "{instance}/{snapshot}에 {file} 없음"),
        hint=Text("run `{command}` ({file})", "`{command}` 실행 ({file})"),
    )
    lab = replace(LAB, steps=(first, *LAB.steps[1:]))
    fill = placeholders(lab, "lxd", "web", "업그레이드-전")
    message, hint = grader.failure(lab, first.id, fill, {first.id: "lxc snapshot web x"})
    file = LAB.params["file"]
    assert message.en == f"no {file} in web/업그레이드-전"
    assert message.ko == f"web/업그레이드-전에 {file} 없음"
    assert hint.en == f"run `lxc snapshot web x` ({file})"


def test_the_placeholders_are_the_lab_parameters_with_the_learners_names():
    assert placeholders(LAB, "incus", "web", "s1") == {
        "instance": "web",
        "snapshot": "s1",
        "file": LAB.params["file"],
        "client": "incus",  # one per daemon
    }
