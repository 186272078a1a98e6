"""The daemon's event stream, read so that no event is lost and no learner waits on another.

The daemon drops a listener that falls behind, a probe is slow, and a cluster
member keeps its request log to itself: the threads and queues that answer
that live here, apart from what an event means (entries) and from the process
and pid files around them (recorder). A lab whose requests name another daemon
(the snapshot server) has that daemon's request log read too, on a thread of
its own (`daemon_logs`), through the socket the recorder's spec gives.
"""

from __future__ import annotations

import json
import os
import queue
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from snaplab.lab import entries
from snaplab.lab.entries import Heard, Tasks, concerns, request_entry
from snaplab.lab.journal import Entry, Session, now
from snaplab.lab.model import Record
from snaplab.lab.recorder import serves

Notify = Callable[[Session, Entry], None]


def _quiet(session: Session, entry: Entry) -> None:
    pass


class Fanout:
    """One queue and one thread per session, kept while the recorder lives.

    The reader hands each event only to the sessions of the project it concerns
    (`entries.concerns`): a class has dozens of sessions, and waking every one for every
    event kept the stream's reader from the processor until the daemon dropped it. For
    those, it makes the entry as the event tells it (`entries.heard`: no request, so the
    reader stays quick) and tells `heard` at once (an `lxc info` too, which needs no probe
    but is written behind those before it), then queues it. A probe takes tens of
    milliseconds, seconds under load, so probes happen in order behind the queues, one
    thread per session: one learner's slow probe (the files API waits while a container
    is being deleted) holds up no one else's entries, and their next command is heard
    while it runs. `notify` hears of each entry once it is written (`watch` listens on the
    socket). The threads outlive a stream, so a reconnect is at once, not after every
    queue has drained.
    """

    def __init__(
        self,
        sessions: list[Session],
        record: Record,
        notify: Notify = _quiet,
        heard: Notify = _quiet,
    ) -> None:
        self.record = record
        self.heard = heard
        self.me = os.getpid()
        self.sessions = sessions
        self.boxes: list[queue.Queue[Heard | None]] = [queue.Queue() for _ in sessions]
        self.tasks = [Tasks(record, s) for s in sessions]  # the reader's alone
        self.by_project: dict[str, list[int]] = {}
        for i, session in enumerate(sessions):
            self.by_project.setdefault(session.project, []).append(i)
        self.workers = [
            threading.Thread(target=_work, args=(s, box, record, notify), daemon=True)
            for s, box in zip(sessions, self.boxes, strict=True)
        ]
        for w in self.workers:
            w.start()

    def put(self, event: dict[str, Any]) -> None:
        project = concerns(event)
        every = range(len(self.sessions))
        for i in every if project is None else self.by_project.get(project, ()):
            session = self.sessions[i]
            try:
                found = entries.heard(event, session, self.record, self.tasks[i])
            except Exception as e:  # noqa: BLE001 - one bad event must not stop the recording
                print(f"{now()} recorder: {e}", file=sys.stderr, flush=True)
                continue
            if found is None:
                continue
            if serves(session, self.me):  # shown now; written in order, once probed
                self.heard(session, found.entry)
            self.boxes[i].put(found)

    def reconnected(self) -> None:
        """A new stream: each session's Tasks start afresh, so an end missed holds none open."""
        self.tasks = [Tasks(self.record, s) for s in self.sessions]

    def close(self) -> None:
        for box in self.boxes:
            box.put(None)
        for w in self.workers:
            w.join()


def _work(session: Session, box: queue.Queue[Heard | None], record: Record, notify: Notify) -> None:
    from snaplab.transports import Target, connect

    me = os.getpid()
    own: Any = None  # a client per thread: pylxd's session is not shared safely
    while (found := box.get()) is not None:
        try:
            # a client only to probe: a request log's line needs none, and a class recorder's
            # 200 sessions all connecting at the class's first grade (its marks) held it 4 s
            if own is None and found.probe:
                own = connect(Target(session.backend, session.url, session.project)).client
            entry = found.probed(own, record)
            # a session handed to another recorder (or finished) is not ours to write
            if serves(session, me):
                session.append(entry)
                notify(session, entry)
        except Exception as e:  # noqa: BLE001 - one bad event must not stop the recording
            print(f"{now()} recorder: {e}", file=sys.stderr, flush=True)


def listen(sessions: list[Session], fanout: Fanout, shared: bool = False) -> None:
    """Read the event stream until the daemon closes it, handing each event to `fanout`.

    The daemon drops a listener that falls behind (Incus does so quickly once the
    request log is on; LXD 5.0 once a write waits 5 s): so this thread only parses
    and hands on. One process serves every session of one daemon (a class has
    dozens): the stream then covers all projects.
    """
    from pylxd.client import _WebsocketClient

    from snaplab.transports import Target, connect

    first = sessions[0]
    client = connect(Target(first.backend, first.url, first.project)).client
    me = os.getpid()

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
            fanout.put(json.loads(bytes(message.data).decode("utf-8")))

    fanout.reconnected()
    ws = client.events(websocket_client=Recorder)
    scope = "all-projects=true" if shared else f"project={first.project}"
    ws.resource = f"/1.0/events?type=lifecycle,logging,operation&{scope}"
    ws.connect()
    ws.run()
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
    import pylxd.client  # noqa: F401 - here, once: threads importing it at once deadlock

    for m in members:
        if m["server_name"] == env.get("server_name"):
            continue
        target = Target(first.backend, m["url"], first.project, crt, key, Path(remote.server_cert))
        args = (sessions, record, m["server_name"], target, notify)
        threading.Thread(target=member_log, args=args, daemon=True).start()


def member_log(
    sessions: list[Session], record: Record, name: str, target: Any, notify: Notify
) -> None:
    from snaplab.transports import connect

    request_log(sessions, record, notify, lambda: connect(target).client, name, location=name)


def daemon_logs(sessions: list[Session], record: Record, notify: Notify = _quiet) -> None:
    """Read the request log of each other daemon the lab's requests name, each on a thread.

    `lxc list lxd-snapshot:` goes to the snapshot server and is logged there only.
    Where that daemon is (its unix socket) comes in the recorder's spec; one without
    a socket is not read, and says so in the log.
    """
    import pylxd.client  # noqa: F401 - here, once: threads importing it at once deadlock

    for name in record.other_daemons:
        socket = record.socket(name)
        if not socket:
            print(f"{now()} recorder: no socket for {name}", file=sys.stderr, flush=True)
            continue
        args = (sessions, record, name, socket, notify)
        threading.Thread(target=daemon_log, args=args, daemon=True).start()


def daemon_log(
    sessions: list[Session], record: Record, name: str, socket: str, notify: Notify
) -> None:
    from pylxd import Client

    request_log(sessions, record, notify, lambda: Client(endpoint=socket, timeout=30), name, name)


def request_log(
    sessions: list[Session],
    record: Record,
    notify: Notify,
    client: Callable[[], Any],
    name: str,
    daemon: str = "",
    location: str | None = None,
) -> None:
    """One other daemon's request log, read until the recorder ends: a cluster member's
    (`location`: only what happened there) or a lab's second daemon's (`daemon`).

    A daemon that restarts closes the stream, and a fresh connection is now and then
    dropped at once: reconnect at once, since a gap in the log is a request lost. A lab's
    daemon is "listening" once its stream has carried a message (the daemon logs the new
    listener itself): `spawn` waits for that before a learner types.
    """
    from pylxd.client import _WebsocketClient

    me = os.getpid()

    class Log(_WebsocketClient):
        heard = False

        def received_message(self, message: Any) -> None:
            if daemon and not self.heard:
                self.heard = True
                for session in sessions:
                    if serves(session, me):
                        session.append(Entry(t=now(), kind="recorder", note=f"listening to {name}"))
            event = json.loads(bytes(message.data).decode("utf-8"))
            if location is not None and event.get("location") != location:
                return  # another member's: the endpoint's own stream has it
            for session in sessions:
                entry = request_entry(event, session, record, daemon)
                if entry and serves(session, me):
                    session.append(entry)
                    notify(session, entry)

    while True:
        try:
            c = client()
            ws = c.events(websocket_client=Log)
            ws.resource = "/1.0/events?type=logging&all-projects=true"
            ws.connect()
            print(f"{now()} recorder: reading {name}'s request log", file=sys.stderr, flush=True)
            if daemon:
                threading.Thread(target=poke, args=(c, ws), daemon=True).start()
            ws.run()
        except Exception as e:  # noqa: BLE001 - logged, then retried
            print(f"{now()} recorder: {name}: {e}", file=sys.stderr, flush=True)
        time.sleep(0.2)


def poke(client: Any, ws: Any, every: float = 0.5, limit: float = 120.0) -> None:
    """Ask a quiet daemon something it logs (GET /1.0, which no lab records) until its new
    stream has carried a message, which is when the recorder says it listens. Its own log
    line about the new listener was not enough: with both cores busy, CI saw the snapshot
    server's stream stay silent for 60 s, and `start` gave up on the recorder."""
    deadline = time.monotonic() + limit
    while not ws.heard and not ws.terminated and time.monotonic() < deadline:
        try:
            client.api.get(timeout=5)
        except Exception:  # noqa: BLE001 - a daemon going away ends the stream anyway
            pass
        time.sleep(every)
