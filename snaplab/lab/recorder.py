"""The recorder: a small background process that writes lifecycle events to the journal.

`snaplab start` launches it; `check` restarts it if it died (and says that
evidence from the gap may be missing); `finish` stops it. What it writes down is
the lab's `record` (labs/<id>/lab.yaml): for each of those events about the lab
instance it also probes, through the files API (which works on a stopped
container and runs nothing inside it), whether the lab's files exist and which
snapshots exist, so the journal says what the container looked like at each step
even after a restore wipes the traces. An exec is probed twice: when it begins,
and when its operation ends (what was done in the shell).
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from snaplab.errors import ExitCode, SnaplabError
from snaplab.i18n import both
from snaplab.lab import channel
from snaplab.lab.journal import Entry, Session, now, read
from snaplab.lab.model import Record

OWN_MARK = "snaplab-check"  # $0 of every exec snaplab's checks make


PROBE_TIMEOUT = 3.0  # seconds a probe may wait for the daemon; then it says "unknown"


def probe(client: Any, instance: str, paths: tuple[str, ...]) -> dict[str, Any]:
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
            for key, value in probe(client, session.instance, record.files).items():
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
        for key, value in probe(client, session.instance, record.files).items():
            setattr(entry, key, value)
    return entry


Notify = Callable[[Session, Entry], None]


def _quiet(session: Session, entry: Entry) -> None:
    pass


def listen(
    sessions: list[Session], record: Record, shared: bool = False, notify: Notify = _quiet
) -> None:
    """Read events on one thread and probe on one thread per session.

    The daemon drops a listener that falls behind (Incus does so quickly once
    the request log is on), and a probe takes tens of milliseconds: so the
    socket is drained at once into queues, and probes happen in order behind it.
    One process serves every session of one daemon (a class has dozens): the
    stream covers all projects, and each event goes to every session's queue.
    A queue per session keeps one learner's slow probe (the files API waits
    while a container is being deleted) from holding up everyone else's events.
    `notify` hears of each entry once it is written (`watch` listens on the socket).
    """
    from pylxd.client import _WebsocketClient

    from snaplab.transports import Target, connect

    first = sessions[0]
    client = connect(Target(first.backend, first.url, first.project)).client
    me = os.getpid()
    boxes: list[queue.Queue[dict[str, Any] | None]] = [queue.Queue() for _ in sessions]

    class Recorder(_WebsocketClient):
        heard = False

        def received_message(self, message: Any) -> None:
            # "listening" only once the stream has carried a message: Incus now and
            # then drops a fresh connection within milliseconds of the handshake.
            if not self.heard:
                self.heard = True
                for session in sessions:
                    if serves(session, me):
                        session.append(Entry(t=now(), kind="recorder", note="listening"))
            event = json.loads(bytes(message.data).decode("utf-8"))
            for box in boxes:
                box.put(event)

    def work(session: Session, box: queue.Queue[dict[str, Any] | None]) -> None:
        own: Any = None  # a client per thread: pylxd's session is not shared safely
        while (event := box.get()) is not None:
            try:
                if own is None:
                    own = connect(Target(session.backend, session.url, session.project)).client
                entry = entry_for(event, session, own, record)
                # a session handed to another recorder (or finished) is not ours to write
                if entry and serves(session, me):
                    session.append(entry)
                    notify(session, entry)
            except Exception as e:  # noqa: BLE001 - one bad event must not stop the recording
                print(f"{now()} recorder: {e}", file=sys.stderr, flush=True)

    workers = [
        threading.Thread(target=work, args=(s, box), daemon=True)
        for s, box in zip(sessions, boxes, strict=True)
    ]
    for w in workers:
        w.start()
    ws = client.events(websocket_client=Recorder)
    scope = "all-projects=true" if shared else f"project={first.project}"
    ws.resource = f"/1.0/events?type=lifecycle,logging,operation&{scope}"
    try:
        ws.connect()
        ws.run()
    finally:
        for box in boxes:
            box.put(None)
        for w in workers:
            w.join()
    print(f"{now()} recorder: the daemon closed the event stream", file=sys.stderr, flush=True)


def member_logs(sessions: list[Session], record: Record, notify: Notify = _quiet) -> None:
    """On a cluster, also read every other member's own request log.

    `lxc info` sent to the member that holds the container is logged there
    only: the request log is debug-level, and members pass each other's debug
    messages on only with --debug. Lifecycle and operation events need none of
    this; members forward those. The cluster certificate is every member's, so
    the endpoint's pin and client certificate open each member.
    """
    from snaplab import remotes
    from snaplab.transports import Target, connect

    first = sessions[0]
    if not first.url:
        return
    try:
        client = connect(Target(first.backend, first.url, first.project)).client
        env = client.host_info["environment"]
        if not env.get("server_clustered"):
            return
        members = client.api.cluster.members.get(params={"recursion": 1}).json()["metadata"]
        remote = remotes.find(first.url)
        crt, key = remotes.client_cert()
    except Exception as e:  # noqa: BLE001 - the endpoint alone still records all but that
        print(f"{now()} recorder: cluster members unknown: {e}", file=sys.stderr, flush=True)
        return
    for m in members:
        if m["server_name"] == env.get("server_name"):
            continue
        target = Target(first.backend, m["url"], first.project, crt, key, Path(remote.server_cert))
        args = (sessions, record, m["server_name"], target, notify)
        threading.Thread(target=member_log, args=args, daemon=True).start()


def member_log(
    sessions: list[Session], record: Record, name: str, target: Any, notify: Notify
) -> None:
    from pylxd.client import _WebsocketClient

    from snaplab.transports import connect

    me = os.getpid()

    class Own(_WebsocketClient):
        def received_message(self, message: Any) -> None:
            event = json.loads(bytes(message.data).decode("utf-8"))
            if event.get("location") != name:  # another member's: the endpoint's stream has it
                return
            for session in sessions:
                entry = request_entry(event, session, record)
                if entry and serves(session, me):
                    session.append(entry)
                    notify(session, entry)

    while True:  # a member that restarts closes the stream: reconnect
        try:
            ws = connect(target).client.events(websocket_client=Own)
            ws.resource = "/1.0/events?type=logging&all-projects=true"
            ws.connect()
            ws.run()
        except Exception as e:  # noqa: BLE001 - logged, then retried
            print(f"{now()} recorder: member {name}: {e}", file=sys.stderr, flush=True)
        time.sleep(1)


def pidfile(session: Session) -> Path:
    return session.dir / "recorder.pid"


def serves(session: Session, pid: int) -> bool:
    try:
        return int(pidfile(session).read_text()) == pid
    except (OSError, ValueError):
        return False


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _pid(session: Session) -> int:
    try:
        return int(pidfile(session).read_text())
    except (OSError, ValueError):
        return 0


def is_recorder(pid: int) -> bool:
    """A pid file can outlive its process, and the pid be reused: ask the process itself."""
    return pid > 0 and b"snaplab.lab.recorder" in _cmdline(pid)


def alive(session: Session) -> bool:
    return is_recorder(_pid(session))


def terminate(pid: int) -> None:
    if is_recorder(pid):
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass  # it ended between the look and the kill


def spawn(session: Session, record: Record, timeout: float = 10.0) -> None:
    """Start the recorder detached from the terminal and wait until it listens."""
    spawn_many([session], record, session.dir, timeout)


def spawn_many(
    sessions: list[Session],
    record: Record,
    where: Path,
    timeout: float = 10.0,
    shared: bool = False,
) -> int:
    """One recorder for sessions on one daemon (one backend, one URL); returns its pid.

    Each session's pid file names it: that is how `check` knows the session is
    recorded, and how the recorder knows a session is still its own. A shared
    recorder (a class's) listens to all projects and is not stopped by one
    session's `finish`; its spec and log live in `where`.
    """
    first = sessions[0]
    if any((s.backend, s.url) != (first.backend, first.url) for s in sessions):
        raise ValueError("one recorder listens to one daemon")
    before = {s: len(s.entries()) for s in sessions}
    spec = where / "recorder-sessions.json"
    spec.write_text(
        json.dumps({"record": record.to_dict(), "sessions": [s.to_dict() for s in sessions]})
    )
    log = open(where / "recorder.log", "ab")
    argv = [sys.executable, "-m", "snaplab.lab.recorder", "--sessions", str(spec)]
    if shared:
        argv.append("--shared")
    proc = subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=log,
        start_new_session=True,
        env=os.environ.copy(),
    )
    for s in sessions:
        pidfile(s).write_text(str(proc.pid))
    waiting = set(sessions)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and waiting:
        waiting = {
            s for s in waiting if not any(e.kind == "recorder" for e in s.entries()[before[s] :])
        }
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    if waiting:  # it never listened: stop it, or it retries forever with nobody to stop it
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        for s in sessions:
            if serves(s, proc.pid):
                pidfile(s).unlink(missing_ok=True)
        last = _last_line(where / "recorder.log")
        raise SnaplabError(
            both(
                f"the event recorder did not start: {last} (see {where}/recorder.log)",
                f"이벤트 기록기가 시작되지 않았습니다: {last} ({where}/recorder.log 참고)",
            ),
            ExitCode.DAEMON_DOWN,
        )
    return proc.pid


def _last_line(log: Path) -> str:
    try:
        lines = log.read_text(errors="replace").strip().splitlines()
    except OSError:
        return "no log"
    return lines[-1].split(" recorder: ", 1)[-1] if lines else "no log"


def caught_up(journal: Path, events_before: int, timeout: float = 3.0) -> bool:
    """Wait until the recorder has written (and probed) an event newer than the count given,
    and the end of every exec it saw begin.

    A human takes seconds between commands; a script does not. Every scripted
    run (`solve`, `guides capture`, the tests' learner) calls this after each
    command so the recorder's probe sees the container before the next command
    changes it.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        new = learner_events(journal)[events_before:]
        begun = sum(e.action == "instance-exec" for e in new)
        if new and begun <= sum(e.action == EXEC_ENDED for e in new):
            return True
        time.sleep(0.01)
    return False


def learner_events(journal: Path) -> list[Entry]:
    return [e for e in read(journal) if e.kind == "event" and not e.own]


def count_events(journal: Path) -> int:
    return len(learner_events(journal))


def stop(session: Session) -> None:
    """Stop the session's recorder; one that serves other sessions too just lets this one go."""
    pid = _pid(session)
    if b"--shared" not in _cmdline(pid):
        terminate(pid)
    pidfile(session).unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    warnings.filterwarnings("ignore", category=UserWarning)
    p = argparse.ArgumentParser(prog="snaplab.lab.recorder")
    p.add_argument("--sessions", required=True, help="JSON: what to record, and the sessions")
    p.add_argument("--shared", action="store_true", help="listen to all projects")
    a = p.parse_args(argv)
    spec = json.loads(Path(a.sessions).read_text())
    sessions = [Session(**s) for s in spec["sessions"]]
    record = Record.from_dict(spec["record"])
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    me = os.getpid()
    # `check` and `watch` ask here first (snaplab/lab/channel.py); without it they still work
    server = channel.Server(sessions, lambda s: serves(s, me))
    server.start()
    try:
        if a.shared:
            member_logs(sessions, record, server.notify)
        while True:  # a restarted daemon closes the socket: reconnect
            try:
                listen(sessions, record, a.shared, server.notify)
            except SystemExit:
                return 0
            except Exception as e:  # noqa: BLE001 - logged, then retried
                print(f"{now()} recorder: {e}", file=sys.stderr, flush=True)
            time.sleep(0.2)
    finally:
        server.close()


if __name__ == "__main__":
    raise SystemExit(main())
