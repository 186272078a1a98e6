"""Every learner's evidence in one pass: one read per daemon, each learner's own journal.

`check` asks its daemon about one container (snaplab/lab/runner.py `gather`): a class of
200 asked that way is 200 connections and several requests and an exec each. Here each
daemon is asked for every project's instances and their snapshots at once (`listing`), and
each learner's `Live` is cut from that answer. What only the container can tell (the lab's
`record.files`) is read through the files API, a few at a time: no exec, so no event in
anyone's journal, and it works on a stopped container too. Every request carries its own
time limit: no signal, so this runs on any thread.

As `check` does, each learner's read carries a mark for their recorder to write down, and
their journal is read once it has: then it holds every command the daemon had heard of by
then. A recorder still behind when the class's SETTLE_S have passed leaves a note instead.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from pylxd.exceptions import LXDAPIException, NotFound

from snaplab import instance as api
from snaplab.classroom.roster import Learner
from snaplab.i18n import both
from snaplab.lab import recorder
from snaplab.lab.clients import daemon_clients
from snaplab.lab.entries import MARK
from snaplab.lab.graded import Graded, outcome
from snaplab.lab.grader import Evidence
from snaplab.lab.history import History, Live
from snaplab.lab.journal import Session, now
from snaplab.lab.model import Lab
from snaplab.lab.runner import (
    NO_RECORDER,
    PROTECT,
    gone,
    handed,
    marks_heard,
    not_started,
    observed,
    settle,
)
from snaplab.transports import Connection, Target, connect

Where = tuple[str, str | None]  # a daemon: its backend and URL (None: this machine's socket)


@dataclass
class Daemon:
    """One daemon's answer: its instances by (project, name), and the lab's other daemons."""

    conn: Connection
    instances: dict[tuple[str, str], dict[str, Any]]
    others: dict[str, Any] = field(default_factory=dict)


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


def listing(conn: Connection, projects: set[str], timeout: float) -> dict[tuple[str, str], Any]:
    """Every instance of the daemon, by (project, name), each with its `snapshots` (names;
    `created_at` ""): one request for the instances, one per storage pool for the snapshots.

    `GET /1.0/instances?recursion=2&all-projects=true` gives both at once (LXD 5.0.2 and
    Incus 6.0.4 both answer it) but renders each instance's state too (processes, network,
    disk), which no check reads: about 0.1 s an instance on LXD 5.0.2, 20 s for 200. So the
    instances at recursion=1, and the snapshots as their storage volumes (`NAME/SNAPSHOT`),
    the daemon's same records. A daemon that refuses `all-projects` for the instances (a
    certificate restricted to some projects; LXD 5.0.2 holding more than 255 instances says
    "too many parameters") is asked for each learner project's; one that refuses it for the
    volumes too, for each project's instances with their snapshots (recursion=2)."""
    try:
        found = get(conn, "/1.0/instances", None, timeout, recursion=1, **ALL)
    except LXDAPIException:
        found = each_project(conn, projects, timeout, recursion=1)
    try:
        taken = snapshot_volumes(conn, timeout)
    except LXDAPIException:
        found = each_project(conn, projects, timeout, recursion=2)
    else:
        for i in found:
            i["snapshots"] = taken.get((i.get("project") or "default", i["name"]), [])
    return {(i.get("project") or "default", i["name"]): i for i in found}


def each_project(conn: Connection, projects: set[str], timeout: float, recursion: int) -> list:
    with ThreadPoolExecutor(max_workers=8) as pool:
        asked = [
            pool.submit(get, conn, "/1.0/instances", p, timeout, recursion=recursion)
            for p in sorted(projects)
        ]
        return [i for answer in asked for i in answer.result()]


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


def read_daemon(lab: Lab, where: Where, learners: list[Learner], timeout: float) -> Daemon:
    backend, url = where
    # a remote host may trust us in the learners' project only: connect there
    conn = connect(Target(backend, url, learners[0].project if url else "default"))
    conn.client.api._timeout = timeout  # the lab's `daemons` and `container` ask through it
    # a remote host's other daemons are not this machine's to ask (as `check` has it)
    others = daemon_clients(lab, conn.backend) if url is None else {}
    return Daemon(conn, listing(conn, {x.project for x in learners}, timeout), others)


def look(
    conn: Connection, learner: Learner, path: str, timeout: float, mark: str = ""
) -> bool | None:
    """Is the file there? Asked twice (a container stopping or starting as we ask may reset
    the daemon's file server), then "could not tell", as `check` has it."""
    files = node(conn, f"/1.0/instances/{learner.instance}/files", learner.project, timeout)
    extra = {MARK: mark} if mark else {}
    for _ in range(2):
        try:
            api.ask_files(files, path, "HEAD", timeout, **extra)  # nothing read, no fifo waited on
            return True
        except NotFound:
            return False
        except LXDAPIException:
            continue
    return None


class Later:
    """The learner's container as a testinfra host, connected only if a check asks for it:
    most labs never do, and a class should not pay a connection per learner for nothing."""

    def __init__(self, make: Callable[[], Any]) -> None:
        self._make = make
        self._host: Any = None

    def __getattr__(self, name: str) -> Any:
        if self._host is None:
            self._host = self._make()
        return getattr(self._host, name)


def container(learner: Learner, timeout: float) -> Any:
    from snaplab.lab.testinfra_backend import get_host

    conn = connect(Target(learner.backend, learner.url, learner.project))
    conn.client.api._timeout = timeout
    return get_host(learner.instance, conn.client)


SETTLE_S = 3.0  # a class's grade waits this long at most for its recorders, as `check` does

LAGGING = both(
    "the event recorder had not written down all the daemon told it when this grade was "
    "made: a step done in the last seconds may not count yet; grade again in a moment",
    "이 채점 때 이벤트 기록기가 데몬이 알린 내용을 아직 다 적지 못했습니다: 방금 한 단계는 "
    "아직 반영되지 않았을 수 있으니 잠시 후 다시 채점하세요",
)


@dataclass
class Looked:
    """A learner's container as just read, the first half of their evidence: the reads wait
    on the daemon, the second half (`written`) on their recorder, each stage its own threads."""

    session: Session
    inst: dict[str, Any]
    live: Live
    recorded: bool  # their recorder runs
    mark: str  # the word their recorder writes down once it has heard the read ("": none)
    since: str


def looked_at(lab: Lab, learner: Learner, daemon: Daemon, timeout: float) -> Looked:
    session = learner.session(lab.id)
    if not any(e.kind == "start" for e in session.entries()):
        raise not_started(lab)
    inst = daemon.instances.get((learner.project, learner.instance))
    if inst is None:
        raise gone(lab, session)
    recorded = recorder.alive(session)
    mark = secrets.token_hex(8) if recorded and marks_heard(session) else ""
    since = now()
    files = {p: look(daemon.conn, learner, p, timeout, mark if i == 0 else "")
             for i, p in enumerate(lab.record.files)}  # fmt: skip
    if mark and not lab.record.files:  # nothing to look at: the mark rides on a read of its own
        path = f"/1.0/instances/{learner.instance}"
        get(daemon.conn, path, learner.project, timeout, **{MARK: mark})
    live = Live(
        exists=True,
        created_at=inst.get("created_at", ""),
        status=inst.get("status", ""),
        protected=(inst.get("config") or {}).get(PROTECT) == "true",
        snapshots={s["name"]: s.get("created_at", "") for s in inst.get("snapshots") or []},
        files=files,
    )
    return Looked(session, inst, live, recorded, mark, since)


def written(
    lab: Lab, learner: Learner, daemon: Daemon, looked: Looked, timeout: float, settle_by: float
) -> Graded:
    """The learner's evidence once their recorder wrote the read's mark down (or
    `settle_by`, a monotonic time, passed): then their journal holds every command the
    daemon had heard of when they were read."""
    session, live = looked.session, looked.live
    notes = [] if looked.recorded else [NO_RECORDER]
    wait = max(0.0, settle_by - time.monotonic())
    if looked.mark and not settle(session, looked.mark, looked.since, wait):
        notes.append(LAGGING)
    observed(session, live)
    history = History(session.entries(), live)
    host = Later(lambda: container(learner, timeout))
    evidence, base, commands = handed(
        lab, session, Evidence(host, live, history, daemon.others), notes
    )
    base.member = member(looked.inst)
    return Graded(lab, evidence, base, commands)


def member(inst: dict[str, Any]) -> str:
    """The cluster member an instance is on: the instructor goes there to help. A daemon
    that is no cluster says "none" (LXD 5.0 and Incus 6.0 alike)."""
    location = str(inst.get("location") or "")
    return "" if location in ("", "none") else location


Found = Graded | BaseException  # a learner's evidence, or why there is none


# Learners handled at once by every class verb, unless --jobs says: each waits on the daemon
# (a file look starts a file server in their container; a setup, tar and forkstart) far more
# than it computes here. At 200 learners on 2 cores, 16 at once set the class up in 45 s
# against 63 s at 4, and the daemon used less CPU (54 s against 81 s): LXD re-balances its
# containers' CPUs after each start, and starts close together share one re-balance.
READS = 16


def start(
    lab: Lab, learners: list[Learner], timeout: float, jobs: int = READS
) -> dict[str, Future]:
    """Each learner's evidence as it comes, by learner id: the daemons read at once, then
    the learners' journals and files a few at a time, in roster order. The checks may run
    meanwhile (`class grade` runs them learner by learner): each waits for its own learner
    only, so reading the class and grading it overlap."""
    groups: dict[Where, list[Learner]] = {}
    for learner in learners:
        groups.setdefault((learner.backend, learner.url), []).append(learner)
    pool = ThreadPoolExecutor(max_workers=max(1, min(jobs, len(learners))))
    # the daemons first in the queue, so a learner's read never waits for one no thread runs;
    # their files after: looked at while the daemon renders its list (5 ms an instance on
    # LXD 5.0.2, one after the other), they slowed it more than they gained (4.0 s, not 3.5)
    daemons = {w: pool.submit(read_daemon, lab, w, m, timeout) for w, m in groups.items()}
    settle_by = time.monotonic() + SETTLE_S  # for the whole class: one lagging recorder
    # delays the grade by SETTLE_S at most, not by that much for each of its learners

    # a learner's journal is read on threads of its own: waiting for their recorder there
    # never holds up the next learner's read (it cost the class of 200 0.2 s in the reads')
    journals = ThreadPoolExecutor(max_workers=max(1, min(jobs, len(learners))))

    def one(learner: Learner) -> tuple[Daemon, Looked]:
        daemon = daemons[(learner.backend, learner.url)].result()  # its error is theirs too
        return daemon, looked_at(lab, learner, daemon, timeout)

    def two(learner: Learner, read: Future) -> Graded:
        daemon, looked = read.result()
        return written(lab, learner, daemon, looked, timeout, settle_by)

    reads = {learner.id: pool.submit(one, learner) for learner in learners}
    found = {x.id: journals.submit(two, x, reads[x.id]) for x in learners}
    pool.shutdown(wait=False)  # the reads go on; the pools' threads end with the last
    journals.shutdown(wait=False)
    return found


def read(lab: Lab, learners: list[Learner], timeout: float, jobs: int = READS) -> dict[str, Found]:
    """Each learner's evidence (or the error that stopped it), by learner id, all read."""
    return {k: outcome(f) for k, f in start(lab, learners, timeout, jobs).items()}
