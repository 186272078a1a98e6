"""Daemon events into journal entries, apart from the process that hears them.

What a learner did is read out of what the daemon says (lifecycle, request log,
operations) and a look through the files API at the moment it happened: the
journal must say what the container looked like at each step even after a
restore wipes the traces. An exec is probed twice: when it begins, and when its
operation ends (what was done in the shell). These rules are the part worth
testing by hand-fed events, with no daemon and no background process, and the
checks need only OWN_MARK from here.

A request may be one sent to another daemon (`daemon: snapshot-server`): the
recorder reads that daemon's request log too, and the same rule applies, except
the project: a remote's requests go to that daemon's own project, not the
session's. A lifecycle event the daemon caused itself (the snapshot scheduler,
expiry pruning) looks exactly like a learner's, requestor and all; only the
operation around it differs: a task the lab names in `record.tasks` (by its
description), which names no instance. `Tasks` follows those operations by the
daemon's clock, and such an event is written with `by: NAME`.

Other resources a lab names (`record.others`: a copy of the lab container, an image, a
profile, a volume) are written with `name`, the resource as the learner typed it; an
instance named by a parameter is probed as the lab instance is.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from snaplab.lab.journal import Entry, Session, now, parse_time
from snaplab.lab.model import Record
from snaplab.transports import OWN_QUERY

OWN_MARK = "snaplab-check"  # $0 of every exec snaplab's checks make
# check's mark: a query word on its first read of the lab instance, with a word of its own
# (GET /1.0/instances/NAME?snaplab-mark=WORD), which the recorder writes down as a "mark"
# entry. Request log and events come on one stream: once the mark is written, so is all that
# came before it, and check grades on it. No exec, so no event and no round trips of its own.
MARK = "snaplab-mark"
MARKED = "mark"


PROBE_TIMEOUT = 3.0  # seconds a probe may wait for the daemon; then it says "unknown"


def gone() -> dict[str, Any]:
    """What a probe of an instance that is no more finds."""
    return {"files": {}, "snapshots": [], "status": "Missing"}


def probe(
    client: Any, instance: str, paths: tuple[str, ...], keys: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The files first: they are what the learner's next command (a restore) may change.

    Every read has a timeout: a probe that hung would hold up this session's events.
    """
    from snaplab import instance as api

    began = time.monotonic()
    found = {path: _file(client, instance, path) for path in paths}
    try:
        base = f"/1.0/instances/{instance}"
        state = api.node(client, base).get(timeout=PROBE_TIMEOUT).json()["metadata"]
        snaps = api.node(client, f"{base}/snapshots").get(timeout=PROBE_TIMEOUT).json()["metadata"]
    except Exception as e:  # gone: say so; no answer in time: say nothing
        from pylxd.exceptions import NotFound

        return gone() if isinstance(e, NotFound) else {**gone(), "status": ""}
    took = time.monotonic() - began
    if took > 1.0:  # worth knowing when a class's recording lags
        print(
            f"{now()} recorder: probing {instance} took {took:.1f} s", file=sys.stderr, flush=True
        )
    return {
        "files": {path: seen for path, seen in found.items() if seen is not None},
        "snapshots": sorted(last_part(s) for s in snaps),
        "status": state.get("status", ""),
        "config": {k: v for k, v in (state.get("config") or {}).items() if k in keys},
    }


def look(client: Any, instance: str, record: Record, action: str = "") -> dict[str, Any]:
    """A probe, except after the instance's delete: the files API would be asked again and
    again for PROBE_TIMEOUT per file, holding up the session's events, to learn it is gone."""
    if action == "instance-deleted":
        return gone()
    return probe(client, instance, record.files, record.config)


def _file(client: Any, instance: str, path: str) -> bool | None:
    """The files API can fail while a container is mid-stop; ask again, then admit not knowing."""
    from snaplab import instance as api

    deadline = time.monotonic() + PROBE_TIMEOUT
    while time.monotonic() < deadline:
        try:
            return api.file_exists(client, instance, path, timeout=PROBE_TIMEOUT)
        except Exception:  # noqa: BLE001 - transient; None means "unknown", never "absent"
            time.sleep(0.1)
    return None


def last_part(url: str) -> str:
    """The name at the end of a URL the daemon listed, without the ?project=P it adds outside
    the default project. Lists and a restore's context carry names as typed (`업그레이드-전`)."""
    return url.split("?")[0].rstrip("/").rsplit("/", 1)[-1]


def source_name(source: str, backend: str) -> str:
    """The snapshot named by a lifecycle event's source, as the learner typed it.

    The source is percent-encoded, and LXD 5.0 encodes it twice (Backend.source_encodings).
    """
    return _decoded(last_part(source), backend)


def _decoded(part: str, backend: str) -> str:
    from snaplab.backends import get_backend

    for _ in range(get_backend(backend).source_encodings):
        part = unquote(part)
    return part


def about(source: str, backend: str, project: str) -> tuple[str, str]:
    """(resource, snapshot) a lifecycle event's source names, as the learner typed them.

    /1.0/instances/NAME[/snapshots/SNAP|/backups/B...], /1.0/images/FINGERPRINT,
    /1.0/images/aliases/NAME, /1.0/profiles/NAME, /1.0/storage-pools/POOL/volumes/TYPE/NAME
    [/snapshots/SNAP], and any other /1.0/COLLECTION/NAME. Both daemons name a custom
    volume outside the default project PROJECT_NAME in its source (LXD 5.0.2 and Incus
    6.0.4 alike, seen with `monitor`): the learner typed NAME.
    """
    parts = [_decoded(p, backend) for p in source.split("?")[0].strip("/").split("/")[1:]]
    if len(parts) < 2:
        return "", ""
    snapshot = parts[parts.index("snapshots") + 1] if "snapshots" in parts[:-1] else ""
    if parts[0] == "storage-pools" and len(parts) >= 5 and parts[2] == "volumes":
        name = parts[4]
        if project != "default":
            name = name.removeprefix(f"{project}_")
        return name, snapshot
    if parts[:2] == ["images", "aliases"]:
        return (parts[2] if len(parts) > 2 else ""), ""
    return parts[1], snapshot


def request_entry(
    event: dict[str, Any], session: Session, record: Record, daemon: str = ""
) -> Entry | None:
    """The daemon's request log, so a read such as `lxc info` leaves evidence too.

    `daemon` is whose log it is: "" the primary's, else one a request names.
    """
    meta = event.get("metadata") or {}
    ctx = meta.get("context") or {}
    if meta.get("message") != "Handling API request":
        return None
    url = urlsplit(ctx.get("url", ""))
    query = parse_qs(url.query)
    ours = not daemon and query.get("project", ["default"])[0] == session.project
    if OWN_QUERY in query:  # snaplab's own read (transports.connect), never a learner's
        return marked(event, session, url.path, query) if ours else None
    if not daemon and not ours:
        return None
    for request in record.requests:
        wanted = parse_qs(request.query)
        if (
            request.daemon == daemon
            and ctx.get("method") == request.method
            and url.path == record.path(request, session.backend, session.instance)
            and all(query.get(k) == v for k, v in wanted.items())
        ):
            return Entry(
                t=event.get("timestamp") or now(),
                kind="event",
                action=request.name,
                note=str(ctx.get("username", "")),
            )
    return None


def marked(
    event: dict[str, Any], session: Session, path: str, query: dict[str, list[str]]
) -> Entry | None:
    """check's mark on its read of this session's instance (MARK), or None; class grading's
    rides on its listing of the session's project (the caller made sure it is this one) or
    on its look at the instance's files."""
    word = query.get(MARK, [""])[0]
    instance = f"/1.0/instances/{session.instance}"
    if not word or path not in ("/1.0/instances", instance, f"{instance}/files"):
        return None
    return Entry(t=event.get("timestamp") or now(), kind=MARKED, note=word)


EXEC_ENDED = "instance-exec-ended"  # our name: a learner's exec (a shell) has finished
FINAL = {"Success", "Failure", "Cancelled"}


def exec_end_entry(
    event: dict[str, Any], session: Session, others: Collection[str] = ()
) -> Entry | None:
    """The end of a learner's exec, from the operation stream.

    The daemon announces an exec (`instance-exec`) when it starts, before
    anything was typed in the shell; only its operation's final status says the
    shell was left, and only a probe then sees what was done inside it.
    Learners' execs run over websockets; snaplab's own are record-output tasks.
    `others`: other instances whose execs the lab records (the entry then names one).
    """
    meta = event.get("metadata") or {}
    inner = meta.get("metadata") or {}
    if meta.get("class") != "websocket" or meta.get("status") not in FINAL:
        return None
    if not isinstance(inner, dict) or not inner.get("command"):
        return None
    if (event.get("project") or "default") != session.project:
        return None
    instances = {str(r).split("?")[0] for r in (meta.get("resources") or {}).get("instances") or []}
    named = [n for n in (session.instance, *others) if f"/1.0/instances/{n}" in instances]
    if not named or OWN_MARK in inner["command"]:
        return None
    name = "" if named[0] == session.instance else named[0]
    return Entry(t=event.get("timestamp") or now(), kind="event", action=EXEC_ENDED, name=name)


@dataclass
class _Operation:
    description: str
    began: datetime
    names_instance: bool  # the session's instance: a learner's, never the daemon's own
    ended: datetime | None = None


class Tasks:
    """The operations of `record.tasks` running (or just ended) on one session's stream.

    By the daemon's clock, not the order of the stream: the daemon sends each event on
    its own, and a lifecycle event can arrive after its operation's end (LXD 5.0, by
    tens of microseconds). An event is a task's when its time falls inside an operation
    with the task's description that names no instance (the daemon's own: `resources`
    is null on LXD 5.0, empty on Incus 6.0), and inside none of that description naming
    the session's instance (a learner's `snapshot` at the very same moment). LXD 5.0 runs
    the scheduler and the pruner at once, so each task accounts for its own action only.
    An event that arrives before its operation began is not seen as the task's; the
    recorder starts afresh at each reconnect, so an end it missed cannot hold one open.
    """

    KEEP = 64  # ended operations remembered, for events that arrive after the end

    def __init__(self, record: Record, session: Session) -> None:
        self.tasks = record.tasks
        self.descriptions = {t.description for t in record.tasks}
        self.session = session
        self.operations: dict[str, _Operation] = {}

    def see(self, event: dict[str, Any]) -> None:
        meta = event.get("metadata") or {}
        if event.get("type") != "operation" or meta.get("class") != "task":
            return
        if meta.get("description") not in self.descriptions:
            return
        instances = [str(r) for r in (meta.get("resources") or {}).get("instances") or []]
        if instances:
            if (event.get("project") or "default") != self.session.project:
                return
            base = f"/1.0/instances/{self.session.instance}"
            if not any(r.split("?")[0] == base or r.startswith(base + "/") for r in instances):
                return  # another instance's: neither the daemon's own nor this learner's
        key = str(meta.get("id", ""))
        op = self.operations.get(key)
        if op is None:
            began = parse_time(meta.get("created_at") or event.get("timestamp") or now())
            op = self.operations[key] = _Operation(meta["description"], began, bool(instances))
        if meta.get("status") in FINAL:
            op.ended = parse_time(event.get("timestamp") or now())
        ended = [k for k, o in self.operations.items() if o.ended is not None]
        for k in ended[: max(0, len(ended) - self.KEEP)]:  # oldest first: dicts keep order
            del self.operations[k]

    def by(self, action: str, when: datetime) -> str:
        for task in self.tasks:
            if task.action != action:
                continue
            inside = [
                op
                for op in self.operations.values()
                if op.description == task.description
                and op.began <= when
                and (op.ended is None or when <= op.ended)
            ]
            if inside and not any(op.names_instance for op in inside):
                return task.name
        return ""


def concerns(event: dict[str, Any]) -> str | None:
    """The one project whose sessions `entry_for` can find this event of, or None for all.

    The same rules as below, asked first: the recorder hands each event only to those
    sessions. A request is its URL's project; an operation naming no instance may be
    the daemon's own task, which every session's `Tasks` follows.
    """
    meta = event.get("metadata") or {}
    if event.get("type") == "logging":
        query = parse_qs(urlsplit((meta.get("context") or {}).get("url", "")).query)
        return query.get("project", ["default"])[0]
    if event.get("type") == "operation" and not (meta.get("resources") or {}).get("instances"):
        return None
    return str(event.get("project") or "default")


Early = Callable[[Entry], None]


def _quiet(entry: Entry) -> None:
    pass


@dataclass
class Heard:
    """An entry as its event tells it, and the instance to probe before it is written ("":
    none). Made with no request to the daemon, so the stream's reader makes it as the
    event arrives: a live page shows that the learner acted then, not once the probes of
    the learner's earlier commands are done (50 learners typing at once: p95 from the
    daemon's event to the page 2.3 s behind the probes, 0.075 s so)."""

    entry: Entry
    probe: str = ""
    action: str = ""

    def probed(self, client: Any, record: Record) -> Entry:
        if self.probe:
            for key, value in look(client, self.probe, record, self.action).items():
                setattr(self.entry, key, value)
        return self.entry


def entry_for(
    event: dict[str, Any],
    session: Session,
    client: Any,
    record: Record,
    tasks: Tasks | None = None,
    early: Early = _quiet,
) -> Entry | None:
    """`heard`, then its probe. `early` hears of an entry before its probe, which waits on
    the daemon."""
    found = heard(event, session, record, tasks)
    if found is None:
        return None
    if found.probe:
        early(found.entry)
    return found.probed(client, record)


def heard(
    event: dict[str, Any], session: Session, record: Record, tasks: Tasks | None = None
) -> Heard | None:
    """The session's entry for this event, before any probe; None: not the session's.
    `tasks`: the session's operations so far (one per stream), to tell the daemon's own."""
    if event.get("type") == "logging":
        entry = request_entry(event, session, record)
        return Heard(entry) if entry else None
    if event.get("type") == "operation":
        if tasks is not None:
            tasks.see(event)
        entry = exec_end_entry(event, session, record.named(session.backend, session.instance))
        return Heard(entry, entry.name or session.instance) if entry else None
    meta = event.get("metadata") or {}
    action = meta.get("action", "")
    source = meta.get("source", "")
    base = f"/1.0/instances/{session.instance}"
    if event.get("type") != "lifecycle":
        return None
    if (event.get("project") or "default") != session.project:
        return None
    if source.split("?")[0] != base and not source.startswith(base + "/"):
        return other_heard(event, session, record)
    if action not in record.events:
        return None
    context = meta.get("context") or {}
    snapshot = ""
    if "/snapshots/" in source:
        snapshot = source_name(source, session.backend)
    elif action == "instance-restored":
        snapshot = last_part(str(context.get("snapshot", "")))
    command = context.get("command") or []
    t = event.get("timestamp") or now()
    entry = Entry(
        t=t,
        kind="event",
        action=action,
        snapshot=snapshot,
        own=OWN_MARK in command,
        by=tasks.by(action, parse_time(t)) if tasks is not None else "",
    )
    return Heard(entry, "" if entry.own else session.instance, action)


CREATED = "instance-created"


def other_heard(event: dict[str, Any], session: Session, record: Record) -> Heard | None:
    """An event of another resource the lab records (`record.others`), in the session's
    project. An instance the lab names is probed as the lab instance is; a resource of a
    kind the lab names without a name is only written down (it may be anyone's)."""
    meta = event.get("metadata") or {}
    action = meta.get("action", "")
    name, snapshot = about(meta.get("source", ""), session.backend, session.project)
    other = record.other(action, name, session.backend, session.instance)
    if other is None:
        return None
    command = (meta.get("context") or {}).get("command") or []
    entry = Entry(
        t=event.get("timestamp") or now(),
        kind="event",
        action=action,
        snapshot=snapshot,
        own=OWN_MARK in command,
        name=name,
    )
    # not as it is created: the daemon may still be unpacking an import, and Incus 6.0.4
    # fails the import ("Post hook failed: In use") when the files API reads it meanwhile
    if other.name and action.startswith("instance-") and action != CREATED and not entry.own:
        return Heard(entry, name, action)
    return Heard(entry)
