"""The backups lab done for real, as the book's users, on both daemons: `solve`, a step left
out, a copy where the lab asks for an import, and the guide page pasted into bash.

Each run is a learner of tests/integration/server_learner.py (a container of its own, the
book's user, a client config of its own); the export file it writes in the user's home is
removed afterwards, and `finish` must leave neither the lab container nor the import.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from snaplab.backends import get_backend
from snaplab.guides import blocks as guide
from snaplab.guides.capture import Runner, retarget
from snaplab.lab.model import load, placeholders
from snaplab.transports import Target, connect
from tests.integration.server_learner import Learner
from tests.integration.server_learner import started as learner_started
from tests.integration.test_guide_commands import docs, page_blocks

pytestmark = pytest.mark.integration

LAB = load("backups")
__all__ = ["docs"]  # the guide's rendered pages, a fixture of test_guide_commands


def names(backend: str, instance: str) -> dict[str, str]:
    return placeholders(LAB, backend, instance, "")


def left(backend: str, instance: str) -> list[str]:
    """The lab's instances still on the daemon: the container and its import."""
    client = connect(Target(backend, None, "default")).client
    mine = names(backend, instance)
    return [n for n in (instance, mine["copy"]) if client.instances.exists(n)]


@contextmanager
def started(backend: str) -> Iterator[Learner]:
    """A learner's lab, finished afterwards; the export file in their home removed too."""
    with learner_started(LAB, backend) as me:
        try:
            yield me
        finally:
            Path(names(backend, me.instance)["backup"]).unlink(missing_ok=True)
    assert left(backend, me.instance) == []  # finish removed the import too


@pytest.mark.parametrize("backend", ["lxd", "incus"])
def test_nothing_done_is_zero_and_solve_earns_full_marks(backend):
    with started(backend) as me:
        report = me.report()
        assert report["score"] == 0 and report["max_score"] == 10, report
        solve = me.snaplab("solve", LAB.id)
        assert solve.rc == 0, solve.err
        report = me.report()
        assert report["score"] == report["max_score"] == 10, report
        assert left(backend, me.instance) == [me.instance]  # the lab removed its import


@pytest.mark.parametrize("backend", ["lxd", "incus"])
def test_the_import_left_behind_is_not_full_marks_and_finish_removes_it(backend):
    """The import carries the lab's label and delete protection: `finish` still removes it."""
    with started(backend) as me:
        me.type_until("file-found")
        grades = me.grade()
        assert grades["file-found"] == "pass" and grades["import-removed"] == "fail", grades
        assert left(backend, me.instance) == [me.instance, names(backend, me.instance)["copy"]]


@pytest.mark.parametrize("backend", ["lxd", "incus"])
def test_skipping_the_look_inside_is_not_full_marks(backend):
    with started(backend) as me:
        me.type_until("import-removed", skip="file-found")
        grades = me.grade()
        assert grades["file-found"] == "fail" and grades["import-removed"] == "pending", grades


@pytest.mark.parametrize("backend", ["lxd", "incus"])
def test_a_copy_instead_of_an_import_is_not_an_import(backend):
    """`copy` makes the container the import would be, from the pool: the step fails, and
    the import typed afterwards (the copy removed) passes."""
    with started(backend) as me:
        me.type_until("exported")
        cli, copy = me.backend.cli, names(backend, me.instance)["copy"]
        me.type(f"{cli} copy {me.instance} {copy}")
        grades = me.grade()
        assert grades["exported"] == "pass" and grades["imported"] == "fail", grades
        me.type(f"{cli} config unset {copy} security.protection.delete")
        me.type(f"{cli} delete {copy}")
        me.type(f"{cli} import {names(backend, me.instance)['backup']} {copy}")
        assert me.grade()["imported"] == "pass"


def aimed(line: str, backend: str, instance: str) -> str:
    """A page line aimed at this run's own names: the export file and the import are named
    after the container, so each of the page's names is swapped (longest first), then the
    container's (retarget, which also names it to snaplab's verbs)."""
    page, ours = names(backend, LAB.instance), names(backend, instance)
    for key in sorted(page, key=lambda k: -len(page[k])):
        if key != "instance" and page[key] != ours[key]:
            line = line.replace(page[key], ours[key])
    return retarget(line, LAB, instance)


@pytest.mark.parametrize("backend", guide.NAMES)
def test_the_page_pasted_into_bash_earns_full_marks(docs, backend):  # noqa: F811
    """The page's blocks as a learner pastes them into bash, as the book's user, each at a
    person's pace (the recorder has seen a block's events before the next)."""
    if os.geteuid() != 0:
        pytest.skip("running as the book's users needs root (runuser)")
    shown = page_blocks((docs / "backups.ko.md").read_text())[get_backend(backend).title]
    todo = guide.blocks(LAB, backend)
    assert [lines for lines, _ in shown] == [b.lines for b in todo]
    user = get_backend(backend).user
    with Runner(LAB, backend, user, "ko") as me:
        backup = Path(names(backend, me.instance)["backup"])
        try:
            for (lines, rc), block in zip(shown[:-2], todo, strict=False):
                typed = tuple(aimed(x, backend, me.instance) for x in lines)
                pasted = typed if typed[0].startswith("snaplab ") else ("bash", *typed)
                ran = me.type(guide.Block("pasted", pasted, block.recorded))
                assert ran.rc == rc, (
                    f"`{lines[0]}` exited {ran.rc}, the page says {rc}: {ran.stderr}"
                )
            r = me.type(guide.Block("check", ("snaplab check backups --json",)))
            report = json.loads(r.stdout)
            assert r.rc == 0 and report["score"] == report["max_score"] == 10, report
        finally:
            backup.unlink(missing_ok=True)
        instance = me.instance
    assert left(backend, instance) == []
