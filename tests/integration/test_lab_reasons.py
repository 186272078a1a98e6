"""Each of chapter 8's named wrong paths, made as a learner makes it, on both daemons: the
step fails with its own reason, and the hint `check --json` gives, typed as written, makes
that step pass. No hint asks for a command that must fail as things stand (`x%y` included).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest

from snaplab.errors import ExitCode
from snaplab.testing import own_project
from tests.integration.learner import Learner, statuses
from tests.integration.test_lab_mistakes import LAB, STEPS, Chapter

pytestmark = pytest.mark.integration

BACKENDS = ["lxd", "incus"]
REFUSED = "The instance is currently running"


def restored_running(c: Chapter) -> None:
    c.snapshot()
    c.info()
    c.touch()
    c.restore()  # without stopping first


def restarted_then_restored(c: Chapter) -> None:
    c.snapshot()
    c.info()
    c.touch()
    c.stop()
    c.start()
    c.restore()  # running again: the daemon stops and starts it for the restore


def file_made_again(c: Chapter) -> None:
    for done in (c.snapshot, c.info, c.touch, c.stop, c.restore, c.start, c.look):
        done()
    c.touch()


def deleted_before_the_look(c: Chapter) -> None:
    for done in (c.snapshot, c.info, c.touch, c.stop, c.restore, c.start):
        done()
    c.delete_snapshot()


def deleted_while_stopped(c: Chapter) -> None:
    for done in (c.snapshot, c.info, c.touch, c.stop, c.restore, c.start, c.look, c.stop):
        done()
    c.delete_snapshot()


def deleted_while_stopped_then_started(c: Chapter) -> None:
    deleted_while_stopped(c)
    c.start()


def percent_name(c: Chapter) -> None:
    for done in (c.snapshot, c.info, c.touch, c.stop, c.restore, c.start, c.look):
        done()
    done = c.me.type(c.command("snapshot-deleted"), recorded=False, ok=False)
    assert done.returncode != 0 and "invalid URL escape" in done.stderr, done.stderr


def percent_name_deleted_while_stopped(c: Chapter) -> None:
    """Through the API, the only way a `x%y` goes, but while the container is stopped."""
    for done in (c.snapshot, c.info, c.touch, c.stop, c.restore, c.start, c.look, c.stop):
        done()
    me = c.me
    path = f"/1.0/instances/{me.instance}/snapshots/x%2525y?project={me.project}"
    me.type(f"{me.cli} query -X DELETE --wait '{path}'", quoted=True)


def never_tried_delete(c: Chapter) -> None:
    for done in (c.snapshot, c.info, c.touch, c.stop, c.restore, c.start, c.look):
        done()
    c.delete_snapshot()


def stopped_at_the_end(c: Chapter) -> None:
    c.all_steps()
    c.stop()


# reason id: (the step it fails, what the learner does, the snapshot name they chose)
PATHS: dict[str, tuple[str, Callable[[Chapter], None], str]] = {
    "stop-restored-running": ("container-stopped", restored_running, "before-change"),
    "restore-restored-running": ("snapshot-restored", restarted_then_restored, "before-change"),
    "file-back": ("file-gone", file_made_again, "before-change"),
    "snapshot-gone": ("file-gone", deleted_before_the_look, "before-change"),
    "deleted-stopped-still-stopped": ("snapshot-deleted", deleted_while_stopped, "before-change"),
    "deleted-stopped": ("snapshot-deleted", deleted_while_stopped_then_started, "before-change"),
    "undeletable-name": ("snapshot-deleted", percent_name, "x%y"),
    "deleted-stopped-still-stopped-named-with-percent": (
        "snapshot-deleted",
        percent_name_deleted_while_stopped,
        "x%y",
    ),
    "not-tried": ("delete-refused", never_tried_delete, "before-change"),
    "stopped": ("delete-refused", stopped_at_the_end, "before-change"),
}


@pytest.fixture
def learner(request, tmp_path) -> Iterator[Learner]:
    """In a project of its own: chapter 10's script, run by another test at the same time,
    copies every instance of the default project (and freezes it meanwhile)."""
    backend, path = request.node.callspec.params["backend"], request.node.callspec.params["path"]
    short = "".join(w[0] for w in path.split("-"))  # stop-restored-running: srr
    with own_project(backend, f"why-{short}") as project:
        with Learner(backend, f"why-{short}-{backend}", tmp_path, project=project).started() as me:
            yield me


def follow(me: Learner, hint: str) -> None:
    """Type what a hint quotes, as written: a client command, or lines typed into the shell
    the command before it opened. A `delete` of the running container must be refused."""
    quoted = re.findall(r"`([^`]+)`", hint)
    assert quoted, hint
    i = 0
    while i < len(quoted):
        command, i = quoted[i], i + 1
        assert command.startswith(f"{me.cli} "), (command, hint)
        lines = []
        while i < len(quoted) and not quoted[i].startswith(f"{me.cli} "):
            lines.append(quoted[i])
            i += 1
        if lines:  # a shell: its exit status is its last command's (`ls` may fail on purpose)
            me.type(command, lines, ok=False)
        elif command == f"{me.cli} delete {me.instance}":
            done = me.type(command, ok=False)
            assert done.returncode != 0 and REFUSED in done.stderr, done.stderr
        else:
            me.type(command, quoted="'" in command)


def reason_of(failed: dict) -> str:
    """Which of its step's reasons a failed step gave, from its message and hint (lab.yaml's
    texts with their placeholders filled)."""
    step = next(s for s in LAB.steps if s.id == failed["id"])
    found = [
        rid
        for rid, said in step.reasons.items()
        if _says(said.failed.en, failed["message"]) and _says(said.hint.en, failed["hint"])
    ]
    return found[0] if len(found) == 1 else f"{len(found)} reasons match"


def _says(template: str, said: str) -> bool:
    return re.fullmatch(re.sub(r"\\\{[a-z_]+\\\}", ".+", re.escape(template)), said) is not None


# A known defect, not yet mended: CI saw Incus 6.0.4 refuse the learner's restore of the
# running container ("Error: In use") once in eight such restores. Most likely snaplab's
# recorder reading the container's files through the files API as the daemon stops it for
# the restore: the same "In use" an import meets when read as it unpacks (entries.CREATED).
IN_USE = pytest.mark.xfail(
    reason="Incus 6.0.4 may refuse a restore of a running container with 'In use' while the "
    "recorder's probe reads it (known defect)",
    strict=False,
)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("path", list(PATHS))
def test_a_wrong_path_is_named_and_its_hint_works(path, backend, learner, request):
    step, mistake, name = PATHS[path]
    if backend == "incus" and mistake in (restored_running, restarted_then_restored):
        request.applymarker(IN_USE)
    mistake(Chapter(learner, name))
    rc, report = learner.check()
    assert rc == ExitCode.NOT_PASSING, report
    at = STEPS.index(step)
    assert [s["status"] for s in report["steps"][: at + 1]] == ["pass"] * at + ["fail"], report
    failed = report["steps"][at]
    assert reason_of(failed) == path.removeprefix("stop-").removeprefix("restore-"), failed
    follow(learner, failed["hint"])
    rc, report = learner.check()
    assert statuses(report)[step] == "pass", (failed["hint"], statuses(report))


@pytest.mark.parametrize("backend", BACKENDS)
def test_delete_refused_is_not_given_for_nothing(backend, tmp_path):
    """The chapter with the refused delete left out is one point short; with it, full."""
    with (
        own_project(backend, "why-nodel") as project,
        Learner(backend, f"why-nodel-{backend}", tmp_path, project=project).started() as me,
    ):
        c = Chapter(me)
        never_tried_delete(c)
        rc, report = me.check()
        assert rc == ExitCode.NOT_PASSING and report["score"] == report["max_score"] - 1
        assert statuses(report)["delete-refused"] == "fail"
        c.delete_container()
        rc, report = me.check()
        assert rc == ExitCode.OK and report["score"] == report["max_score"], statuses(report)
