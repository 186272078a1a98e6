"""A mistake for every check: the learner skips or botches one step and does the rest.

For each of the chapter's steps, on both daemons, a learner types the lab's own
commands at a human pace but gets exactly one step wrong, then asks
`snaplab check --json`. That step must FAIL with a hint, every earlier step
must PASS, the score must be the earlier steps' points, and the exit code 1.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from snaplab.errors import ExitCode
from snaplab.lab.model import load
from snaplab.lab.player import script
from tests.integration.learner import Learner, statuses
from tests.integration.spare import wait_for

pytestmark = pytest.mark.integration

BACKENDS = ["lxd", "incus"]
LAB = load("snapshots")
STEPS = [s.id for s in LAB.steps]
POINTS = {s.id: s.points for s in LAB.steps}
SNAPSHOT = "before-change"


@dataclass
class Chapter:
    """The lab's own commands (labs/snapshots/lab.yaml), typed by a learner."""

    me: Learner
    snapshot_name: str = SNAPSHOT

    def command(self, step: str) -> str:
        lines = script(LAB, self.me.backend, self.me.instance, self.snapshot_name)
        [line] = [x for x in lines if x.step == step]
        return line.text

    def snapshot(self) -> None:
        self.me.type(self.command("snapshot-taken"))

    def info(self) -> None:
        self.me.type(self.command("snapshot-listed"))  # recorded: the daemon's request log

    def shell(self, *lines: str) -> None:
        """`lxc exec X bash` / `incus shell X`, the lines typed in, then `exit`."""
        self.me.type(self.command("file-touched"), [*lines, "exit"], ok=False)

    def touch(self) -> None:
        self.shell("touch this_file.txt")

    def stop(self) -> None:
        self.me.type(self.command("container-stopped"))

    def restore(self) -> None:
        self.me.type(self.command("snapshot-restored"))

    def start(self) -> None:
        self.me.type(self.command("container-started"))

    def look(self) -> None:
        self.shell("ls this_file.txt")

    def delete_snapshot(self) -> None:
        self.me.type(self.command("snapshot-deleted"))

    def delete_container(self) -> None:
        """The chapter's warning: on a running container this must be refused. The refused
        client's requests are recorded (delete-refused's evidence)."""
        done = self.me.type(self.command("delete-refused"), ok=False)
        assert done.returncode != 0

    def all_steps(self) -> None:
        self.snapshot()
        self.info()
        self.touch()
        self.stop()
        self.restore()
        self.start()
        self.look()
        self.delete_snapshot()
        self.delete_container()


def no_snapshot(c: Chapter) -> None:
    c.info()
    c.touch()
    c.stop()
    c.me.type(c.command("snapshot-restored"), recorded=False, ok=False)  # nothing to restore
    c.start()
    c.look()
    c.me.type(c.command("snapshot-deleted"), recorded=False, ok=False)
    c.delete_container()


def no_info(c: Chapter) -> None:
    c.snapshot()
    c.touch()
    c.stop()
    c.restore()
    c.start()
    c.look()
    c.delete_snapshot()
    c.delete_container()


def touch_in_tmp(c: Chapter) -> None:
    c.snapshot()
    c.info()
    c.shell("cd /tmp", "touch this_file.txt")  # botched: not in /root
    c.stop()
    c.restore()
    c.start()
    c.look()
    c.delete_snapshot()
    c.delete_container()


def restore_while_running(c: Chapter) -> None:
    c.snapshot()
    c.info()
    c.touch()
    c.restore()  # without stopping first: the daemon restarts the container itself
    c.me.type(c.command("container-started"), recorded=False, ok=False)  # already running
    c.look()
    c.delete_snapshot()
    c.delete_container()


def stop_start_without_restore(c: Chapter) -> None:
    c.snapshot()
    c.info()
    c.touch()
    c.stop()
    c.start()
    c.look()
    c.delete_snapshot()
    c.delete_container()


def never_started(c: Chapter) -> None:
    c.snapshot()
    c.info()
    c.touch()
    c.stop()
    c.restore()
    # no start: the shell cannot open in a stopped container, the snapshot goes anyway
    c.me.type(c.command("file-gone"), ["ls this_file.txt", "exit"], recorded=False, ok=False)
    c.delete_snapshot()


def never_looked(c: Chapter) -> None:
    c.snapshot()
    c.info()
    c.touch()
    c.stop()
    c.restore()
    c.start()
    c.delete_snapshot()  # straight away, without looking inside
    c.delete_container()


def delete_while_stopped(c: Chapter) -> None:
    c.snapshot()
    c.info()
    c.touch()
    c.stop()
    c.restore()
    c.start()
    c.look()
    c.stop()
    c.delete_snapshot()  # the chapter's warning: never while stopped
    c.start()
    c.delete_container()


def stopped_at_the_end(c: Chapter) -> None:
    c.all_steps()
    c.stop()  # the mistake the warning is about: now `delete` would take the container


MISTAKES: dict[str, Callable[[Chapter], None]] = {
    "snapshot-taken": no_snapshot,
    "snapshot-listed": no_info,
    "file-touched": touch_in_tmp,
    "container-stopped": restore_while_running,
    "snapshot-restored": stop_start_without_restore,
    "container-started": never_started,
    "file-gone": never_looked,
    "snapshot-deleted": delete_while_stopped,
    "delete-refused": stopped_at_the_end,
}


def test_every_step_has_a_mistake():
    assert list(MISTAKES) == STEPS


@pytest.fixture
def learner(request, tmp_path) -> Iterator[Learner]:
    params = request.node.callspec.params
    backend = params["backend"]
    short = request.node.originalname.split("_")[1]
    if "step" in params:
        short = f"{short[:6]}-{params['step']}"
    with Learner(backend, f"mx-{short}-{backend}", tmp_path).started() as me:
        yield me


def assert_fails_at(report: dict, rc: int, failed: str) -> None:
    at = STEPS.index(failed)
    status = statuses(report)
    assert rc == ExitCode.NOT_PASSING, report
    assert [status[s] for s in STEPS[:at]] == ["pass"] * at, status
    step = report["steps"][at]
    assert step["id"] == failed and step["status"] == "fail", status
    assert step["hint"].strip(), step
    assert all(status[s] == "pending" for s in STEPS[at + 1 :]), status
    assert report["score"] == sum(POINTS[s] for s in STEPS[:at]), report
    assert report["max_score"] == sum(POINTS.values())


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("step", STEPS)
def test_a_mistake_fails_its_step(step, backend, learner):
    MISTAKES[step](Chapter(learner))
    rc, report = learner.check()
    assert_fails_at(report, rc, step)


def _steps(*names: str) -> Callable[[Chapter], None]:
    def run(c: Chapter) -> None:
        for name in names:
            getattr(c, name)()

    return run


# (what the learner does up to the mistake, what they do after following the hint)
RECOVERIES = {
    "snapshot-listed": (
        _steps("snapshot", "touch"),
        _steps("info", "stop", "restore", "start", "look", "delete_snapshot", "delete_container"),
    ),
    "container-stopped": (
        _steps("snapshot", "info", "touch", "restore"),  # restored while running
        _steps("stop", "restore", "start", "look", "delete_snapshot", "delete_container"),
    ),
    "snapshot-restored": (
        _steps("snapshot", "info", "touch", "stop", "start"),  # started without restoring
        _steps("stop", "restore", "start", "look", "delete_snapshot", "delete_container"),
    ),
}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("step", list(RECOVERIES))
def test_following_the_hint_recovers(step, backend, learner):
    """Checking after each step, as the guide says: the hint leads to full marks."""
    mistake, rest = RECOVERIES[step]
    c = Chapter(learner)
    mistake(c)
    rc, report = learner.check()
    assert_fails_at(report, rc, step)
    rest(c)
    rc, report = learner.check()
    assert rc == ExitCode.OK and report["score"] == report["max_score"], statuses(report)


@pytest.mark.parametrize("backend", BACKENDS)
def test_touch_before_the_snapshot_is_not_a_change(backend, learner):
    """The file made first is in the snapshot: the restore cannot undo it."""
    c = Chapter(learner)
    c.touch()
    c.snapshot()
    c.info()
    c.stop()
    c.restore()
    c.start()
    c.look()
    c.delete_snapshot()
    c.delete_container()
    rc, report = learner.check()
    assert_fails_at(report, rc, "file-touched")


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_snapshot_nobody_saw_taken_does_not_count(backend, learner):
    """Taken while the recorder was down: it exists, but when it was taken is unknown."""
    pid = int((learner.journal().parent / "recorder.pid").read_text())
    os.kill(pid, signal.SIGTERM)
    assert wait_for(lambda: not Path(f"/proc/{pid}").exists(), 30)
    c = Chapter(learner)
    learner.type(c.command("snapshot-taken"), recorded=False)

    rc, report = learner.check()  # restarts the recorder, and says so
    assert_fails_at(report, rc, "snapshot-taken")
    assert any("recorder" in note for note in report["notes"]), report["notes"]

    # a snapshot taken now, under another name, and the rest of the chapter: full marks
    other = Chapter(learner, "after-restart")
    other.all_steps()
    rc, report = learner.check()
    assert rc == ExitCode.OK and report["score"] == report["max_score"], statuses(report)
    assert report["snapshot"] == "after-restart"


@pytest.mark.parametrize("backend", BACKENDS)
def test_deleted_and_re_created_container_starts_from_zero(backend, learner):
    c = Chapter(learner)
    c.all_steps()
    rc, report = learner.check()
    assert rc == ExitCode.OK and report["score"] == report["max_score"], report

    me = learner
    me.type(f"{me.cli} config unset {me.instance} security.protection.delete", recorded=False)
    me.type(f"{me.cli} delete --force {me.instance}", recorded=False)
    r = me.snaplab("start")
    assert r.rc == 0, r.err

    rc, report = me.check()
    assert rc == ExitCode.NOT_PASSING
    assert report["score"] == 0, report
    assert all(s["points"] == 0 for s in report["steps"]), report
    assert_fails_at(report, rc, "snapshot-taken")

    # and the lab can be done again, in full, on the new container
    Chapter(me).all_steps()
    rc, report = me.check()
    assert rc == ExitCode.OK and report["score"] == report["max_score"], report
