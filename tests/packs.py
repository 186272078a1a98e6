"""A newcomer's pack lab for the guide's tests: snapshot the container, then copy that
snapshot into a container named after it (`{instance}-copy`).

The copy's name is a second parameter built from the instance's, so a capture must
render the lab's commands with its own names: no text replacement of the container's
name reaches `ubuntu-test-copy`. Written as an instructor would, from the chapter 8 lab.
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from snaplab.paths import data_dir

CHECKS = '''"""The copy lab's checks: one per step."""

import pytest


@pytest.mark.step("snapshot-taken")
def test_snapshot_taken(history, step, snapshot):
    step.proven(history.first("instance-snapshot-created", after=step.since, snapshot=snapshot))


@pytest.mark.step("copied")
def test_copied(daemons, step, params):
    """The copy is there now (its creation is another instance's event, not recorded)."""
    assert daemons["primary"].instances.exists(params.copy), f"there is no {params.copy}"
    step.done()
'''

COPIED = {
    "id": "copied",
    "points": 1,
    "title": {
        "en": "Copy the snapshot into a new container",
        "ko": "스냅샷을 새 컨테이너로 복사하기",
    },
    "why": {
        "en": "A copy of a snapshot is a new container, made from the snapshot as it was.",
        "ko": "스냅샷을 복사하면 그 스냅샷 그대로인 새 컨테이너가 만들어집니다.",
    },
    "commands": {
        "lxd": [{"run": "lxc copy {instance}/{snapshot} {copy}", "recorded": False}],
        "incus": [{"run": "incus copy {instance}/{snapshot} {copy}", "recorded": False}],
    },
    "pass": {"en": "{copy} was made", "ko": "{copy} 컨테이너를 만들었습니다"},
    "fail": {"en": "there is no container {copy}", "ko": "{copy} 컨테이너가 없습니다"},
    "hint": {"en": "copy the snapshot: `{command}`", "ko": "`{command}` 명령으로 복사하세요"},
}


def copy_pack(root: Path, lab_id: str) -> Path:
    """The pack folder `root` holding the copy lab `lab_id`, readable by the book's users
    (a capture types its commands as lxdadmin and incusadmin)."""
    doc = yaml.safe_load((data_dir("labs") / "snapshots" / "lab.yaml").read_text())
    doc["id"], doc["checks"] = lab_id, f"test_{lab_id.replace('-', '_')}.py"
    for key in ("chapter", "book_note"):
        doc.pop(key)
    doc["title"] = {"en": "Copy a snapshot", "ko": "스냅샷 복사하기"}
    doc["summary"] = {
        "en": "Take a snapshot of a container, then copy it into a new container.",
        "ko": "컨테이너의 스냅샷을 만든 뒤 그 스냅샷을 새 컨테이너로 복사합니다.",
    }
    doc["parameters"] = {"instance": "ubuntu-test", "snapshot": "golden", "copy": "{instance}-copy"}
    doc["record"] = {"events": ["instance-snapshot-created"]}
    doc["steps"] = [doc["steps"][0], COPIED]
    (root / "labs" / lab_id).mkdir(parents=True)
    (root / "labs" / lab_id / "lab.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True))
    (root / "checks").mkdir(exist_ok=True)
    (root / "checks" / doc["checks"]).write_text(CHECKS)
    for folder in (root, *root.rglob("*")):
        if folder.is_dir():
            os.chmod(folder, 0o755)
    return root
