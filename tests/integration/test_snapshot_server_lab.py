"""Chapter 9 done for real, as the book's users, on both daemons and their snapshot servers.

Each run has a client config of its own (LXD_CONF / INCUS_CONF in a temp directory), so
the remote and the trust it adds are never the user's own; afterwards the trusted
certificate is forgotten by its fingerprint and `finish` must have removed the lab's
container on both daemons. The schedule step waits for the daemons' scheduler (once a
minute): the two backends run side by side.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest

from snaplab.backends import get_backend
from snaplab.host import snapshot_server
from snaplab.lab.model import load
from snaplab.lab.player import Player, script
from snaplab.lab.runner import remove_owned
from tests.conftest import Run, snaplab

pytestmark = pytest.mark.integration

LAB = load("snapshot-server")
STEPS = [s.id for s in LAB.steps]


class Learner:
    def __init__(self, backend: str) -> None:
        self.backend = get_backend(backend)
        self.instance = f"ch9-{backend}-{uuid.uuid4().hex[:6]}"
        self.conf = Path(tempfile.mkdtemp(prefix="ch9-conf-", dir="/tmp"))
        shutil.chown(self.conf, self.backend.user, self.backend.user)
        self.conf.chmod(0o700)

    @property
    def env(self) -> dict[str, str]:
        return {self.backend.conf_env: str(self.conf)}

    def snaplab(self, *args: str) -> Run:
        where = ("--backend", self.backend.name, "--instance", self.instance)
        return snaplab(*args, *where, user=self.backend.user, env=self.env)

    def grade(self) -> dict[str, str]:
        r = self.snaplab("check", LAB.id, "--json")
        return {s["id"]: s["status"] for s in json.loads(r.out)["steps"]}

    def type_until(self, last: str, instead: dict[str, str] | None = None) -> None:
        """The guide's lines up to and including step `last`; `instead` swaps a line."""
        player = Player(user=self.backend.user, env={**_base_env(), **self.env}, cwd="/tmp")
        lines = script(LAB, self.backend.name, self.instance, LAB.snapshot)
        for line in lines[: max(i for i, x in enumerate(lines) if x.step == last) + 1]:
            text = (instead or {}).get(line.text, line.text)
            done = player.play(line, None, text)
            assert done.returncode == 0, (text, done.stderr)


def _base_env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "XDG_STATE_HOME")}


@contextmanager
def started(backend: str) -> Iterator[Learner]:
    if not snapshot_server.status(get_backend(backend)).answering:
        pytest.skip(f"no {backend} snapshot server: `snaplab host setup --snapshot-server`")
    me = Learner(backend)
    try:
        r = me.snaplab("start", LAB.id)
        assert r.rc == 0, r.err
        yield me
    finally:
        r = me.snaplab("finish", LAB.id)
        snapshot_server.forget(me.backend, me.conf)
        shutil.rmtree(me.conf, ignore_errors=True)
        assert r.rc == 0, r.err


def solved(backend: str) -> tuple[dict[str, str], bool, bool]:
    """The grades after `solve`; whether the copy was on the snapshot server during the lab,
    and whether it still is after `finish`."""
    with started(backend) as me:
        solve = me.snaplab("solve", LAB.id)
        assert solve.rc == 0, solve.err
        grades = me.grade()
        server = snapshot_server.client(me.backend)
        during = server.instances.exists(me.instance)
    return grades, during, server.instances.exists(me.instance)


def test_solve_earns_full_marks_on_both_daemons_and_finish_removes_both_copies():
    with ThreadPoolExecutor(2) as pool:
        runs = dict(zip(("lxd", "incus"), pool.map(solved, ("lxd", "incus")), strict=True))
    for backend, (grades, during, after) in runs.items():
        assert set(grades.values()) == {"pass"}, (backend, grades)
        assert during and not after, backend  # finish removed the lab's copy


@pytest.mark.parametrize("backend", ["lxd", "incus"])
def test_a_skipped_step_or_a_copy_under_another_name_is_not_passed(backend):
    with started(backend) as me:
        me.type_until("server-listed")  # autostart-off skipped
        grades = me.grade()
        assert [grades[s] for s in STEPS[:5]] == ["pass"] * 5, grades
        assert grades["autostart-off"] == "fail" and grades["schedule-set"] == "pending"
    with started(backend) as me:
        cli = me.backend.cli
        copy = f"{cli} copy {me.instance}/{LAB.snapshot} {LAB.params['remote'][backend]}:"
        me.type_until("copied", {f"{copy}{me.instance}": f"{copy}{me.instance}-elsewhere"})
        grades = me.grade()
        assert grades["copied"] == "fail", grades
        server = snapshot_server.client(me.backend)  # the copy is the lab's, and protected
        assert remove_owned(server, f"{me.instance}-elsewhere", LAB)
