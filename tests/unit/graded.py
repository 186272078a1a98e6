"""Grade a hand-written journal with the real checks (checks/test_<lab>.py): no daemon.

Pure logic. The stand-ins are what the checks read live: the container's file system
(`container.file(...)`, chapter 8's `file-gone`), the daemons (`daemons[...]`, chapters 9
and 10) and this machine as the learner (`local`: their client, crontab and files).
"""

from __future__ import annotations

import importlib
import json
import sys
from dataclasses import dataclass, field
from types import ModuleType, SimpleNamespace
from typing import Any

from pylxd.exceptions import NotFound

from snaplab.lab.history import Live
from snaplab.lab.journal import Entry
from snaplab.lab.model import Lab, load
from snaplab.pytest_plugin import Graded
from snaplab.testing import grade_journal

LAB = load("snapshots")
FILE = LAB.params["file"]
# the chapter's steps, under the names the old evidence module gave them
FACTS = {
    "taken": "snapshot-taken",
    "listed": "snapshot-listed",
    "touched": "file-touched",
    "stopped": "container-stopped",
    "restored": "snapshot-restored",
    "started": "container-started",
    "looked": "file-gone",
    "deleted": "snapshot-deleted",
}


def grade(
    entries: list[Entry],
    live: Live,
    present: tuple[str, ...] = (),
    lab: Lab = LAB,
    daemons: dict[str, Any] | None = None,
    local: Any = None,
) -> Graded:
    """The public way a pack tests its checks (snaplab.testing), used for every lab here."""
    return grade_journal(lab, entries, live, present, daemons, local)


def facts(entries: list[Entry], live: Live) -> SimpleNamespace:
    """When each step was proven (None: not), and which snapshot was followed."""
    graded = grade(entries, live)
    proofs = graded.chain.proofs
    return SimpleNamespace(
        snapshot=graded.evidence.history.chosen_snapshot(),
        same_container=graded.evidence.history.same_instance,
        outcomes=graded.outcomes,  # type: ignore[attr-defined]
        **{name: proofs.get(step) for name, step in FACTS.items()},
    )


def check_module(lab: Lab) -> ModuleType:
    """A lab's check module, imported as pytest's run imports it (its folder on sys.path:
    the modules import each other), so its plain functions can be tested on their own."""
    folder = str(lab.checks.parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    return importlib.import_module(lab.checks.stem)


EARLY = "2026-01-01T00:00:00Z"  # a snapshot taken long before the lab


def instance(name: str, snapshots: tuple[Any, ...] = (), **config: str) -> Any:
    """An instance as pylxd gives it: its name, config and snapshots (`.snapshots.all()`)."""
    listed = [  # a name, or (name, created_at): a snapshot taken at a known time
        SimpleNamespace(name=s, created_at=EARLY)
        if isinstance(s, str)
        else SimpleNamespace(name=s[0], created_at=s[1])
        for s in snapshots
    ]
    return SimpleNamespace(
        name=name,
        config=config,
        created_at=EARLY,
        listed=listed,
        snapshots=SimpleNamespace(all=lambda: listed),
    )


@dataclass
class Daemon:
    """What a daemon answers: its instances, certificates and pending trust tokens."""

    instances_: dict[str, Any] = field(default_factory=dict)
    trusted: list[str] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)

    @property
    def instances(self) -> Any:
        def get(name: str) -> Any:
            if name not in self.instances_:
                raise NotFound(SimpleNamespace(json=lambda: {"error": "not found"}))
            return self.instances_[name]

        return SimpleNamespace(get=get, all=lambda: list(self.instances_.values()))

    def listing(self) -> list[dict[str, Any]]:
        """GET /1.0/instances?recursion=2: each instance with its snapshots."""
        return [
            {
                "name": i.name,
                "created_at": i.created_at,
                "config": i.config,
                "snapshots": [{"name": s.name, "created_at": s.created_at} for s in i.listed],
            }
            for i in self.instances_.values()
        ]

    @property
    def certificates(self) -> Any:
        return SimpleNamespace(all=lambda: [SimpleNamespace(name=n) for n in self.trusted])

    @property
    def api(self) -> Any:
        running = [{"class": "token", "metadata": {"request": {"name": n}}} for n in self.tokens]
        answer = SimpleNamespace(json=lambda: {"metadata": {"running": running}})
        full = SimpleNamespace(json=lambda: {"metadata": self.listing()})
        return SimpleNamespace(
            operations=SimpleNamespace(get=lambda params: answer),
            instances=SimpleNamespace(get=lambda params: full),
        )


@dataclass
class File:
    """A file as `local.file(path)` reads it; `parses`: whether `bash -n` accepts it."""

    user: str
    group: str
    mode: int = 0o755
    parses: bool = True
    is_file: bool = True


NO_FILE = File("", "", 0, parses=False, is_file=False)


class Local:
    """This machine as the learner (`local`, testinfra's local host): their client's remotes
    (`remote list --format csv`) and whether the snapshot server trusts it (`query
    REMOTE:/1.0`), their crontab (None: `crontab -l` finds none), their files, who they are."""

    def __init__(
        self,
        remotes: dict[str, str],
        trusted: bool = True,
        crontab: str | None = None,
        files: dict[str, File] | None = None,
        user: tuple[str, str] = ("lxdadmin", "lxdadmin"),
    ) -> None:
        self.remotes = remotes
        self.trusted = trusted
        self.crontab = crontab
        self.files = files or {}
        self.me = user

    def check_output(self, command: str) -> str:
        assert command == "lxc remote list --format csv", command
        return "".join(f"{name},{url},lxd,tls,NO,NO,NO\n" for name, url in self.remotes.items())

    def run(self, command: str, *args: str) -> Any:
        command = command % args if args else command
        if command == "lxc query lxd-snapshot:/1.0":
            return done(0, json.dumps({"auth": "trusted" if self.trusted else "untrusted"}))
        if command == "crontab -l":
            return done(1) if self.crontab is None else done(0, self.crontab)
        if command.startswith("bash -n "):
            return done(0 if self.file(command[len("bash -n ") :]).parses else 2)
        raise AssertionError(f"local ran what no fake answers: {command}")

    def file(self, path: str) -> File:
        return self.files.get(path, NO_FILE)

    def user(self) -> Any:
        return SimpleNamespace(name=self.me[0], group=self.me[1])


def done(rc: int, stdout: str = "") -> Any:
    return SimpleNamespace(rc=rc, stdout=stdout, stderr="")
