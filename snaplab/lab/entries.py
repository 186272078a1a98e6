"""Daemon events into journal entries, apart from the process that hears them.

What a learner did is read out of what the daemon says (lifecycle, request log,
operations) and a look through the files API at the moment it happened: the
journal must say what the container looked like at each step even after a
restore wipes the traces. An exec is probed twice: when it begins, and when its
operation ends (what was done in the shell). These rules are the part worth
testing by hand-fed events, with no daemon and no background process, and the
checks need only OWN_MARK from here.
"""

from __future__ import annotations

import sys
import time
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from snaplab.lab.journal import Entry, Session, now
from snaplab.lab.model import Record

OWN_MARK = "snaplab-check"  # $0 of every exec snaplab's checks make


PROBE_TIMEOUT = 3.0  # seconds a probe may wait for the daemon; then it says "unknown"


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

        return {
            "files": {},
            "snapshots": [],
            "status": "Missing" if isinstance(e, NotFound) else "",
        }
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
    from snaplab.backends import get_backend

    name = last_part(source)
    for _ in range(get_backend(backend).source_encodings):
        name = unquote(name)
    return name


def request_entry(event: dict[str, Any], session: Session, record: Record) -> Entry | None:
    """The daemon's request log, so a read such as `lxc info` leaves evidence too."""
    meta = event.get("metadata") or {}
    ctx = meta.get("context") or {}
    if meta.get("message") != "Handling API request":
        return None
    url = urlsplit(ctx.get("url", ""))
    query = parse_qs(url.query)
    if query.get("project", ["default"])[0] != session.project:
        return None
    for request in record.requests:
        wanted = parse_qs(request.query)
        if (
            ctx.get("method") == request.method
            and url.path == request.path.format(instance=session.instance)
            and all(query.get(k) == v for k, v in wanted.items())
        ):
            return Entry(
                t=event.get("timestamp") or now(),
                kind="event",
                action=request.name,
                note=str(ctx.get("username", "")),
            )
    return None


EXEC_ENDED = "instance-exec-ended"  # our name: a learner's exec (a shell) has finished
FINAL = {"Success", "Failure", "Cancelled"}


def exec_end_entry(event: dict[str, Any], session: Session) -> Entry | None:
    """The end of a learner's exec, from the operation stream.

    The daemon announces an exec (`instance-exec`) when it starts, before
    anything was typed in the shell; only its operation's final status says the
    shell was left, and only a probe then sees what was done inside it.
    Learners' execs run over websockets; snaplab's own are record-output tasks.
    """
    meta = event.get("metadata") or {}
    inner = meta.get("metadata") or {}
    if meta.get("class") != "websocket" or meta.get("status") not in FINAL:
        return None
    if not isinstance(inner, dict) or not inner.get("command"):
        return None
    if (event.get("project") or "default") != session.project:
        return None
    base = f"/1.0/instances/{session.instance}"
    instances = (meta.get("resources") or {}).get("instances") or []
    if not any(str(r).split("?")[0] == base for r in instances):
        return None
    if OWN_MARK in inner["command"]:
        return None
    return Entry(t=event.get("timestamp") or now(), kind="event", action=EXEC_ENDED)


def entry_for(event: dict[str, Any], session: Session, client: Any, record: Record) -> Entry | None:
    if event.get("type") == "logging":
        return request_entry(event, session, record)
    if event.get("type") == "operation":
        entry = exec_end_entry(event, session)
        if entry:
            for key, value in probe(client, session.instance, record.files, record.config).items():
                setattr(entry, key, value)
        return entry
    meta = event.get("metadata") or {}
    action = meta.get("action", "")
    source = meta.get("source", "")
    base = f"/1.0/instances/{session.instance}"
    if event.get("type") != "lifecycle" or action not in record.events:
        return None
    if (event.get("project") or "default") != session.project:
        return None
    if source.split("?")[0] != base and not source.startswith(base + "/"):
        return None
    context = meta.get("context") or {}
    snapshot = ""
    if "/snapshots/" in source:
        snapshot = source_name(source, session.backend)
    elif action == "instance-restored":
        snapshot = last_part(str(context.get("snapshot", "")))
    command = context.get("command") or []
    entry = Entry(
        t=event.get("timestamp") or now(),
        kind="event",
        action=action,
        snapshot=snapshot,
        own=OWN_MARK in command,
    )
    if not entry.own:
        for key, value in probe(client, session.instance, record.files, record.config).items():
            setattr(entry, key, value)
    return entry
