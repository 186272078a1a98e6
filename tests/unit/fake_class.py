"""A class without a daemon: learners' journals on disk and a fake daemon's answers.

Pure logic for class grading's tests: the daemon is a list of instances (as `GET
/1.0/instances?recursion=2` gives a project's) and the files in each; every
request it is sent is kept, so a test can count them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from pylxd.exceptions import LXDAPIException, NotFound

from snaplab.backends import get_backend
from snaplab.classroom import evidence, listing
from snaplab.classroom.roster import Learner
from snaplab.lab.entries import MARK
from snaplab.lab.journal import Entry
from snaplab.lab.model import load

LAB = load("snapshots")
FILE = LAB.params["file"]
CREATED = "2026-01-01T00:00:00.000000000Z"
T0 = datetime(2026, 1, 1, 0, 0, 1, tzinfo=UTC)


def learner(id: str, backend: str = "lxd", n: int = 1) -> Learner:
    return Learner(id, f"학습자 {id}", backend, "ubuntu-test", f"h1t-{id}", None, n + 1)


def at(seconds: float) -> str:
    return (T0 + timedelta(seconds=seconds)).isoformat()


def started(who: Learner, snapshots: tuple[str, ...] = ()) -> None:
    """The learner's journal: their lab started, then each snapshot taken a second apart."""
    session = who.session(LAB.id)
    session.append(
        Entry(t=at(0), kind="start", created_at=CREATED, files={FILE: False}, status="Running")
    )
    for i, name in enumerate(snapshots, 1):
        session.append(
            Entry(t=at(i), kind="event", action="instance-snapshot-created", snapshot=name)
        )


def response(status: int, error: str = "") -> Any:
    return SimpleNamespace(status_code=status, json=lambda: {"error": error}, content=b"")


@dataclass
class Daemon:
    """What one daemon holds, and every request sent to it: (path, project, params)."""

    instances: list[dict[str, Any]] = field(default_factory=list)
    files: set[tuple[str, str, str]] = field(default_factory=set)  # (project, instance, path)
    all_projects: bool = True  # False: refuses `all-projects`, as a restricted certificate may
    asked: list[tuple[str, str | None, dict[str, Any]]] = field(default_factory=list)
    # the recorder hearing a request's mark (project, word): as the request log tells it
    heard: Callable[[str | None, str], None] | None = None

    def holds(
        self, who: Learner, snapshots: tuple[str, ...] = (), file: bool = False, on: str = "none"
    ) -> None:
        self.instances.append(
            {
                "name": who.instance,
                "project": who.project,
                "location": on,  # the cluster member; "none" when the daemon is no cluster
                "created_at": CREATED,
                "status": "Running",
                "config": {},
                "snapshots": [{"name": s, "created_at": at(1)} for s in snapshots],
            }
        )
        if file:
            self.files.add((who.project, who.instance, FILE))

    def get(self, path: str, project: str | None, params: dict[str, Any]) -> Any:
        self.asked.append((path, project, dict(params)))
        if self.heard and params.get(MARK):
            self.heard(project, params[MARK])
        every = "all-projects" in params
        if every and not self.all_projects:
            raise LXDAPIException(response(403, "not authorized"))
        if path == "/1.0/instances":
            found = [i for i in self.instances if every or i["project"] == project]
            if not found and not every:  # a project holds at least its learner's container
                raise NotFound(response(404, "Project not found"))
            if params["recursion"] == 1:  # no snapshots at recursion=1
                found = [{k: v for k, v in i.items() if k != "snapshots"} for i in found]
            return answer(found)
        if path == "/1.0/storage-pools":
            return answer(["/1.0/storage-pools/default"])
        if path == "/1.0/storage-pools/default/volumes":
            return answer(self.volumes())
        name = path.split("/")[3]
        if (project, name, params["path"]) in self.files:
            return SimpleNamespace(content=b"")
        raise NotFound(response(404, "not found"))

    def volumes(self) -> list[dict[str, Any]]:
        """Each instance's volume and its snapshots' (`NAME/SNAPSHOT`), and an image's."""
        out = [{"name": "0123abcd", "type": "image", "project": "default"}]
        for i in self.instances:
            out.append({"name": i["name"], "type": "container", "project": i["project"]})
            out += [
                {"name": f"{i['name']}/{s['name']}", "type": "container", "project": i["project"]}
                for s in i["snapshots"]
            ]
        return out


def answer(metadata: Any) -> Any:
    return SimpleNamespace(json=lambda: {"metadata": metadata})


def wire(monkeypatch: Any, daemons: dict[str, Daemon | BaseException]) -> None:
    """Connecting to a backend reaches its fake daemon (or raises what it is given)."""

    def connect(target: Any) -> Any:
        daemon = daemons[target.backend]
        if isinstance(daemon, BaseException):
            raise daemon
        client = SimpleNamespace(api=SimpleNamespace(_timeout=None))
        return SimpleNamespace(daemon=daemon, backend=get_backend(target.backend), client=client)

    def node(conn: Any, path: str, project: str | None, timeout: float) -> Any:
        assert timeout > 0  # every request has its time limit
        return SimpleNamespace(
            get=lambda params, **kw: conn.daemon.get(path, project, params)  # noqa: ARG005
        )

    monkeypatch.setattr(listing, "connect", connect)
    monkeypatch.setattr(listing, "node", node)
    # the file look's HEAD, answered as the fake answers a GET of that file
    monkeypatch.setattr(
        evidence.api,
        "ask_files",
        lambda files, path, method, timeout=None, **extra: files.get(
            params={"path": path, **extra}
        ),
    )
    monkeypatch.setattr(evidence.recorder, "alive", lambda session: True)


def holding(monkeypatch: Any, daemon: Daemon, project: str) -> threading.Event:
    """The daemon lists `project` only once the event returned is set (a busy daemon)."""
    held = threading.Event()
    get = daemon.get

    def slow(path: str, project_: str | None, params: dict[str, Any]) -> Any:
        if path == "/1.0/instances" and project_ == project:
            assert held.wait(10)
        return get(path, project_, params)

    monkeypatch.setattr(daemon, "get", slow)
    return held


def two_started(monkeypatch: Any) -> tuple[Daemon, Learner, Learner]:
    """kim and lee, each with a started lab and their container on one fake LXD, wired."""
    lxd = Daemon()
    kim, lee = learner("kim"), learner("lee")
    for who in (kim, lee):
        lxd.holds(who)
        started(who)
    wire(monkeypatch, {"lxd": lxd})
    return lxd, kim, lee
