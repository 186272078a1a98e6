"""A scripted learner: types the chapter's commands at a human pace, then asks snaplab.

"Human pace" means: after each command that leaves a daemon event, wait until
the recorder has written it down (for a shell, its end too), as it would have
long before a person typed the next command.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from snaplab.lab import recorder
from tests.conftest import Run, snaplab

CLI = {"lxd": "lxc", "incus": "incus"}


HUNG = 60  # seconds: no chapter command takes near this long


def typed(
    argv: list[str], stdin: str | None, env: dict[str, str] | None = None, cwd: str = "/tmp"
) -> subprocess.CompletedProcess:
    """Run one command as a person would: if it hangs, press Ctrl-C and type it again, once.

    The 5.0 `lxc exec` client now and then hangs after its command has ended (the daemon
    logged the exec's end within milliseconds; seen once in a class of 40 in CI).
    """
    for attempt in (1, 2):
        try:
            return subprocess.run(
                argv, input=stdin, capture_output=True, text=True, env=env, cwd=cwd, timeout=HUNG
            )
        except subprocess.TimeoutExpired:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


@dataclass
class Learner:
    backend: str
    instance: str
    state_home: Path  # XDG_STATE_HOME of the snaplab runs
    user: str | None = None
    lang: str = "en"
    history: list[str] = field(default_factory=list)

    @property
    def cli(self) -> str:
        return CLI[self.backend]

    @property
    def env(self) -> dict[str, str]:
        return {"XDG_STATE_HOME": str(self.state_home), "SNAPLAB_LANG": self.lang}

    def journal(self) -> Path:
        dirs = list(
            (self.state_home / "snaplab").glob(
                f"snapshots-{self.backend}-local-default-{self.instance}"
            )
        )
        return dirs[0] / "journal.jsonl" if dirs else self.state_home / "missing"

    def events(self) -> int:
        return recorder.count_events(self.journal())

    def type(
        self, command: str, stdin: list[str] | None = None, recorded: bool = True, ok: bool = True
    ) -> subprocess.CompletedProcess:
        """Run one learner command (`lxc …`), as the learner's user, at a human pace."""
        argv = shlex.split(command)
        if self.user:
            argv = ["runuser", "-u", self.user, "--", *argv]
        before = self.events()
        done = typed(
            argv,
            "".join(s + "\n" for s in stdin or []) or None,
            {**os.environ, "HOME": f"/home/{self.user}"} if self.user else None,
        )
        self.history.append(command)
        if ok:
            assert done.returncode == 0, f"{command}: {done.stderr}"
        if recorded:
            recorder.caught_up(self.journal(), before, timeout=5)
        return done

    @contextmanager
    def started(self) -> Iterator[Learner]:
        """A started lab, finished afterwards whatever happens (and first, for a killed run)."""
        self.snaplab("finish")
        try:
            r = self.snaplab("start")
            assert r.rc == 0, r.err
            yield self
        finally:
            r = self.snaplab("finish")
            assert r.rc == 0, r.err

    def snaplab(self, verb: str, *args: str) -> Run:
        """`snaplab VERB snapshots …` for this learner's session."""
        extra = ["--backend", self.backend, "--instance", self.instance]
        return snaplab(
            verb, "snapshots", *extra, *args, user=self.user, env=None if self.user else self.env
        )

    def check(self) -> tuple[int, dict]:
        r = self.snaplab("check", "--json")
        assert r.rc in (0, 1), r.err
        return r.rc, json.loads(r.out)


def statuses(report: dict) -> dict[str, str]:
    return {s["id"]: s["status"] for s in report["steps"]}


def recorders_of(home: Path) -> list[int]:
    """Recorder processes a class started: their spec lives under its temp home."""
    pids = []
    for proc in Path("/proc").iterdir():
        try:
            cmd = (proc / "cmdline").read_bytes() if proc.name.isdigit() else b""
        except OSError:
            continue
        if b"snaplab.lab.recorder" in cmd and str(home).encode() in cmd:
            pids.append(int(proc.name))
    return pids


def stop(pids: list[int]) -> None:
    for pid in pids:
        recorder.terminate(pid)


def home_env(home: Path) -> dict[str, str]:
    """An instructor or learner of their own: config, certificates and journals under `home`."""
    return {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_STATE_HOME": str(home / "state"),
        "SNAPLAB_LANG": "en",
    }
