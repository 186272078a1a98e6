"""Every learner's evidence in one pass: one connection per daemon, each learner's journal.

`check` asks its daemon about one container (snaplab/lab/runner.py `gather`): a class of
200 asked that way is 200 connections and several requests and an exec each. Here each
daemon is asked once for its snapshots and once for each learner project's instances, on
one connection (listing.py), and each learner's `Live` is cut from those answers. What only
the container can tell (the lab's `record.files`, from its `files_after` on) is read through
the files API, a few at a time: no exec, so no event in anyone's journal, and it works on a
stopped container too. Every request carries its own time limit: no signal, so this runs on
any thread.

As `check` does, each learner's last read (their file look, or the listing of their project)
carries a mark for their recorder to write down, and their journal is read once it has: then
it holds every command the daemon had heard of by then. A recorder still behind when the
class's SETTLE_S have passed leaves a note instead."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from pylxd.exceptions import LXDAPIException, NotFound

from snaplab import classroom
from snaplab import instance as api
from snaplab.classroom import listing
from snaplab.classroom.listing import Where
from snaplab.classroom.roster import Learner
from snaplab.i18n import both
from snaplab.lab import recorder
from snaplab.lab.clients import daemon_clients
from snaplab.lab.entries import MARK
from snaplab.lab.graded import Graded, outcome
from snaplab.lab.grader import Evidence
from snaplab.lab.history import History, Live
from snaplab.lab.journal import Entry, Session, now
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


@dataclass
class Daemon:
    """One daemon's answer: its instances by (project, name), and the lab's other daemons."""

    conn: Connection
    instances: listing.Listed
    others: dict[str, Any] = field(default_factory=dict)


def read_daemon(lab: Lab, where: Where, asked: Future) -> Daemon:
    conn, instances = asked.result()
    # a remote host's other daemons are not this machine's to ask (as `check` has it)
    others = daemon_clients(lab, conn.backend) if where[1] is None else {}
    return Daemon(conn, instances, others)


def look(
    conn: Connection, learner: Learner, path: str, timeout: float, mark: str = ""
) -> bool | None:
    """Is the file there? Asked twice (a container stopping or starting as we ask may reset
    the daemon's file server), then "could not tell", as `check` has it."""
    files = listing.node(conn, f"/1.0/instances/{learner.instance}/files", learner.project, timeout)
    extra = {MARK: mark} if mark else {}

    def head() -> bool:
        try:
            api.ask_files(files, path, "HEAD", timeout, **extra)  # nothing read, no fifo waited on
            return True
        except NotFound:
            return False

    return api.asked(head, 2, (LXDAPIException,))


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
    looked: bool  # the lab's files were looked at (see `to_look`)


def to_look(lab: Lab, entries: list[Entry]) -> tuple[str, ...]:
    """The lab's files a grade looks at: all of them, or, for a lab with `files_after`, none
    until the learner's journal has that event since the lab began. The checks read a
    sighting only after it (chapter 8's file, after the snapshot), and each look is a
    request the daemon serves one after another: 5 ms a learner on LXD 5.0.2, a second for a
    class of 200 who have not begun, two when their containers' file servers had stopped."""
    after = lab.record.files_after
    if not after:
        return lab.record.files
    begun = max((i for i, e in enumerate(entries) if e.kind == "start"), default=0)
    done = any(e.kind == "event" and e.action == after for e in entries[begun:])
    return lab.record.files if done else ()


def looks(
    conn: Connection, learner: Learner, paths: tuple[str, ...], timeout: float, mark: str
) -> dict[str, bool | None]:
    """Each file looked at, the first look carrying the mark."""
    return {p: look(conn, learner, p, timeout, mark if i == 0 else "") for i, p in enumerate(paths)}


def looked_at(lab: Lab, learner: Learner, daemon: Daemon, timeout: float) -> Looked:
    session = learner.session(lab.id)
    entries = session.entries()
    if not any(e.kind == "start" for e in entries):
        raise not_started(lab)
    inst = daemon.instances.get(learner.project, learner.instance)
    if inst is None:
        raise gone(lab, session)
    recorded = recorder.alive(session)
    marked = recorded and marks_heard(session)
    since = now()
    paths = to_look(lab, entries)
    mark = ""  # rides on the last read: the look, or else the listing of their project
    if marked:
        mark = secrets.token_hex(8) if paths else daemon.instances.marks[learner.project]
    live = Live(
        exists=True,
        created_at=inst.get("created_at", ""),
        status=inst.get("status", ""),
        protected=(inst.get("config") or {}).get(PROTECT) == "true",
        snapshots={s["name"]: s.get("created_at", "") for s in inst.get("snapshots") or []},
        files=looks(daemon.conn, learner, paths, timeout, mark),
    )
    return Looked(session, inst, live, recorded, mark, since, bool(paths))


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
    paths = () if looked.looked else to_look(lab, session.entries())
    if paths:  # their `files_after` came as they were read: look now, and settle again
        mark, since = secrets.token_hex(8) if looked.mark else "", now()
        live.files = looks(daemon.conn, learner, paths, timeout, mark)
        wait = max(0.0, settle_by - time.monotonic())
        if mark and not settle(session, mark, since, wait) and LAGGING not in notes:
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


def start(
    lab: Lab,
    learners: list[Learner],
    timeout: float,
    jobs: int = classroom.READS,
    asked: listing.Asked | None = None,
) -> dict[str, Future]:
    """Each learner's evidence as it comes, by learner id: the daemons read at once (or
    `asked` already, by `listing.ask`), then the learners' journals and files a few at a
    time, in roster order. The checks may run meanwhile (`class grade` runs them learner by
    learner): each waits for its own learner only, so reading the class and grading it
    overlap."""
    asked = asked if asked is not None else listing.ask(learners, timeout)
    pool = ThreadPoolExecutor(max_workers=max(1, min(jobs, len(learners))))
    # each learner's files are looked at once their daemon has answered: looked at while
    # the daemon renders its list (5 ms an instance on LXD 5.0.2, one after the other),
    # they slowed it more than they gained (4.0 s, not 3.5)
    daemons = {w: pool.submit(read_daemon, lab, w, f) for w, f in asked.items()}
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


def read(
    lab: Lab, learners: list[Learner], timeout: float, jobs: int = classroom.READS
) -> dict[str, Found]:
    """Each learner's evidence (or the error that stopped it), by learner id, all read."""
    return {k: outcome(f) for k, f in start(lab, learners, timeout, jobs).items()}
