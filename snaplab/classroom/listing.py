"""What each daemon holds for a class: every learner's instance and its snapshots.

`class grade` asks first thing (`ask`), before it loads the grader (pytest, the lab's
checks), and `pytest --lab-roster` as it configures: the imports and the daemons' answers
overlap. This module stays light for that reason: the daemon's client and nothing of the
grader.
"""

from __future__ import annotations

import secrets
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from pylxd.exceptions import LXDAPIException, NotFound

from snaplab.lab.entries import MARK
from snaplab.transports import Connection, Target, connect

if TYPE_CHECKING:
    from snaplab.classroom.roster import Learner

Where = tuple[str, str | None]  # a daemon: its backend and URL (None: this machine's socket)
Asked = dict[Where, Future]  # each daemon's (Connection, Listed), as it comes


def ask(learners: list[Learner], timeout: float) -> Asked:
    """Each daemon of these learners asked at once, each on a thread of its own."""
    groups: dict[Where, list[Learner]] = {}
    for learner in learners:
        groups.setdefault((learner.backend, learner.url), []).append(learner)
    pool = ThreadPoolExecutor(max_workers=max(1, len(groups)))
    asked = {where: pool.submit(one, where, group, timeout) for where, group in groups.items()}
    pool.shutdown(wait=False)  # its threads end with the last answer
    return asked


def one(where: Where, learners: list[Learner], timeout: float) -> tuple[Connection, Listed]:
    backend, url = where
    # a remote host may trust us in the learners' project only: connect there
    conn = connect(Target(backend, url, learners[0].project if url else "default"))
    conn.client.api._timeout = timeout  # the lab's `daemons` and `container` ask through it
    return conn, Listed(conn, [x.project for x in learners], timeout)


def node(conn: Connection, path: str, project: str | None, timeout: float) -> Any:
    """An API node in `project` (None: no project named, as `all-projects` wants), whose
    requests give up after `timeout` seconds."""
    base = conn.client.api
    return type(base)(
        base._api_endpoint + path.removeprefix("/1.0"),
        session=base.session,
        timeout=timeout,
        project=project,
    )


def get(conn: Connection, path: str, project: str | None, timeout: float, **ask: Any) -> Any:
    return node(conn, path, project, timeout).get(params=ask).json()["metadata"] or []


class Listed:
    """A daemon's instances, each learner project's asked on its own, in roster order, and
    each instance's snapshots (names; `created_at` ""), from the pools' volumes.

    `GET /1.0/instances?recursion=2&all-projects=true` gives them all in one request (LXD
    5.0.2 and Incus 6.0.4 both answer it), but renders each instance's state too
    (processes, network, disk), which no check reads: about 0.1 s an instance on LXD 5.0.2,
    20 s for 200. At recursion=1 LXD 5.0.2 still spends about 5 ms on each instance it
    lists: 0.9 s for a class of 200 in one request, 1.0 s project by project, eight at
    once. Asked by project, the first learner's instance comes after 20 ms rather than
    after everyone's, so grading runs while the daemon lists the rest (and LXD 5.0.2,
    which refuses `all-projects` above 255 instances, "too many parameters", is never
    asked it for them). A daemon that refuses `all-projects` for the volumes (a
    certificate restricted to some projects) gives each project's instances with their
    snapshots (recursion=2)."""

    def __init__(self, conn: Connection, projects: list[str], timeout: float) -> None:
        # each project's request carries a word of its own: the learner's recorder writes it
        # down (snaplab/lab/entries.py `marked`), and a grade that looks no further than
        # this listing waits for that word (evidence.py)
        self.marks = {p: secrets.token_hex(8) for p in projects}
        pool = ThreadPoolExecutor(max_workers=8)
        self._snapshots = pool.submit(snapshot_volumes, conn, timeout)  # one request, first
        self._projects = {
            p: pool.submit(self._project, conn, p, timeout) for p in dict.fromkeys(projects)
        }
        pool.shutdown(wait=False)  # its threads end with the last project

    def _project(self, conn: Connection, project: str, timeout: float) -> dict[str, Any]:
        mark = {MARK: self.marks[project]}
        try:
            taken = self._snapshots.result()
        except LXDAPIException:  # no `all-projects`: the snapshots with their instances
            found = get(conn, "/1.0/instances", project, timeout, recursion=2, **mark)
            return {i["name"]: i for i in found}
        found = get(conn, "/1.0/instances", project, timeout, recursion=1, **mark)
        for i in found:
            i["snapshots"] = taken.get((project, i["name"]), [])
        return {i["name"]: i for i in found}

    def get(self, project: str, name: str) -> dict[str, Any] | None:
        """The instance as the daemon listed it, waited for; None: the daemon has no such
        instance, or no such project. A project the daemon would not list raises that
        learner's error, no one else's."""
        asked = self._projects.get(project)
        if asked is None:
            return None
        try:
            return asked.result().get(name)
        except NotFound:
            return None


def snapshot_volumes(conn: Connection, timeout: float) -> dict[tuple[str, str], list]:
    """Every instance's snapshots, by (project, instance), from each pool's volumes."""
    taken: dict[tuple[str, str], list[dict[str, str]]] = {}
    for pool in get(conn, "/1.0/storage-pools", None, timeout):
        path = f"{pool}/volumes"
        for v in get(conn, path, None, timeout, recursion=1, **ALL):
            name, _, snapshot = v["name"].partition("/")
            if snapshot and v.get("type") in ("container", "virtual-machine"):
                at = (v.get("project") or "default", name)
                taken.setdefault(at, []).append({"name": snapshot, "created_at": ""})
    return taken


ALL = {"all-projects": "true"}
