"""The chapter typed as one pasted block: no pause between commands, full marks every time.

A person pasting the chapter gives the recorder no time to probe between two
commands, so evidence about the state at an event (did the snapshot still
exist when the learner looked?) must come from the order of the daemon's own
events. Five runs a daemon: the race this guards against lost marks in two runs of
three, which five runs miss once in 243; ten cost CI 70 s more a worker, which CI's
20 minutes no longer had.
"""

from __future__ import annotations

import pytest

from snaplab.lab.player import Player
from tests.integration.learner import Learner
from tests.integration.test_lab_cycle import CHAPTER, USERS

pytestmark = pytest.mark.integration

RUNS = 5


def pasted(backend: str, instance: str) -> list[str]:
    """The chapter as one shell script's lines, shells fed by here-documents, nothing between."""
    lines = []
    for command, stdin, _recorded, _ok in CHAPTER[backend]:
        command = command.replace("ubuntu-test", instance)
        if stdin:
            lines += [f"{command} <<'EOF'", *stdin, "EOF"]
        else:
            lines.append(f"{command} || true")
    return lines


@pytest.mark.parametrize("backend", ["lxd", "incus"])
def test_pasted_chapter_gets_full_marks_every_time(backend, tmp_path):
    user = USERS[backend]
    me = Learner(backend, f"paste-{backend}", tmp_path, user=user)
    scores = []
    for _ in range(RUNS):
        with me.started():
            # one shell reads it all: no retry, a second paste would not be the same chapter
            done = Player(user=user, cwd="/tmp").type("sh -s", pasted(backend, me.instance))
            assert "Error: The instance is currently running" in done.stderr, done.stderr
            _rc, report = me.check()
            scores.append(report["score"])
            missing = [s["id"] for s in report["steps"] if s["status"] != "pass"]
            assert not missing, (scores, missing, report)
    assert scores == [14] * RUNS
