"""A learner of chapters 9 and 10, as the book's user, with a client config of their own.

Each run has its own LXD_CONF / INCUS_CONF in a temp directory, so the remote and the trust
it adds are never the user's own; afterwards the trusted certificate is forgotten by its
fingerprint, and `finish` must have removed the lab's container and its copy on the snapshot
server. What the lab writes once per machine (chapter 10's crontab line and script) is put
back as it was (snaplab/host/keep.py).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from snaplab.backends import get_backend
from snaplab.host import snapshot_server
from snaplab.host.keep import kept
from snaplab.lab.journal import Session
from snaplab.lab.model import Lab
from snaplab.lab.player import Player, script
from tests.conftest import Run, snaplab
from tests.integration.learner import RECORDED


class Learner:
    def __init__(self, lab: Lab, backend: str) -> None:
        self.lab = lab
        self.backend = get_backend(backend)
        self.instance = f"ch{lab.chapter}-{backend}-{uuid.uuid4().hex[:6]}"
        self.conf = Path(tempfile.mkdtemp(prefix=f"ch{lab.chapter}-conf-", dir="/tmp"))
        shutil.chown(self.conf, self.backend.user, self.backend.user)
        self.conf.chmod(0o700)

    def param(self, name: str) -> str:
        value = self.lab.params[name]
        return value if isinstance(value, str) else value[self.backend.name]

    @property
    def env(self) -> dict[str, str]:
        return {self.backend.conf_env: str(self.conf)}

    def snaplab(self, *args: str) -> Run:
        where = ("--backend", self.backend.name, "--instance", self.instance)
        return snaplab(*args, *where, user=self.backend.user, env=self.env)

    def report(self) -> dict:
        return json.loads(self.snaplab("check", self.lab.id, "--json").out)

    def grade(self) -> dict[str, str]:
        return {s["id"]: s["status"] for s in self.report()["steps"]}

    @property
    def journal(self) -> Path:
        """The user's own state home: tests.conftest.snaplab gives a user no XDG_STATE_HOME."""
        home = Path(f"/home/{self.backend.user}/.local/state/snaplab")
        return Session(self.lab.id, self.backend.name, "default", self.instance).journal_under(home)

    def player(self) -> Player:
        base = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "XDG_STATE_HOME")}
        env = {**base, **self.env}
        return Player(user=self.backend.user, env=env, cwd="/tmp", wait=RECORDED)

    def type(self, line: str, stdin: tuple[str, ...] = ()) -> None:
        done = self.player().type(line, stdin)
        assert done.returncode == 0, (line, done.stderr)

    def type_until(
        self, last: str, instead: dict[str, str] | None = None, skip: str | None = None
    ) -> None:
        """The guide's lines up to and including step `last`; `instead` swaps a line, and
        step `skip`'s lines are left out."""
        player = self.player()
        lines = script(self.lab, self.backend.name, self.instance, self.lab.snapshot)
        for line in lines[: max(i for i, x in enumerate(lines) if x.step == last) + 1]:
            if line.step == skip:
                continue
            text = (instead or {}).get(line.text, line.text)
            # at a person's pace: graded only once the recorder has its event
            done = player.play(line, self.journal if line.command.recorded else None, text)
            assert done.returncode == 0, (text, done.stderr)
            assert done.recorded, f"{text}: no event recorded in {RECORDED} s"

    def forget(self) -> None:
        snapshot_server.forget(self.backend, self.conf)
        shutil.rmtree(self.conf, ignore_errors=True)


@contextmanager
def started(lab: Lab, backend: str) -> Iterator[Learner]:
    """A lab with no snapshot server among its daemons (backups) needs none."""
    needed = "snapshot-server" in lab.daemons
    if needed and not snapshot_server.status(get_backend(backend)).answering:
        pytest.skip(f"no {backend} snapshot server: `snaplab host setup --snapshot-server`")
    me = Learner(lab, backend)
    server = snapshot_server.client(me.backend) if needed else None
    try:
        with kept(me.backend.user, lab.host_files):
            r = me.snaplab("start", lab.id)
            assert r.rc == 0, r.err
            yield me
    finally:
        r = me.snaplab("finish", lab.id)
        me.forget()
        assert r.rc == 0, r.err
        assert server is None or not server.instances.exists(me.instance)  # nor its copy
