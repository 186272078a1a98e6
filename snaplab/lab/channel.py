"""The recorder's socket: `check` asks the running recorder for a grade, `watch` hears its news.

Why: a `check` process spends most of its time importing (the interpreter,
pylxd, pytest, testinfra) before it reads a single thing from the daemon. The
recorder is a long-running process of the same user that has all of that
loaded already, so it grades on `check`'s behalf: the grade is the very same
(`runner.check`, the same journal, the same daemon reads), only the imports are
saved. When no recorder answers (none running, an older one without a socket,
one that fails or is too slow) `check` grades in-process as before: the socket
is a short cut, never a requirement. SNAPLAB_NO_RECORDER_CHECK=1 forces the
in-process path (for tests and troubleshooting).

The socket is `recorder.sock` in the session's state directory, mode 0600, and
a peer of another user (root excepted) is turned away. One line of JSON in, one
line of JSON out:

  {"v": 1, "op": "check", "session": {...}}   ->  {"ok": true, "result": {...}}
                                                  {"ok": false, "error": {"en", "ko", "code"}}
                                                  {"ok": false, "fallback": "why"}
  {"v": 1, "op": "subscribe", "session": {...}} -> {"ok": true}, then one line per new
                                                  learner event: {"entry": {...}}, and
                                                  {"ping": T} when all is quiet; before an
                                                  entry that is probed, {"heard": {...}}
                                                  (not yet written: a peer that grades waits
                                                  for its "entry"; an older one ignores it)

A shared (class) recorder binds a socket in each of its sessions' directories
and answers only for the session asked, if it is still its own. Nothing a peer
sends can stop the recorder: every connection is handled, and fails, alone.

This module stays light (standard library only at import): `check`'s client
side must not pay for pylxd or pytest. The grading imports happen in the recorder.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import queue
import selectors
import socket
import struct
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from snaplab.errors import ExitCode, SnaplabError
from snaplab.i18n import Text
from snaplab.lab.journal import Entry, Session, now
from snaplab.lab.results import LabResult

NAME = "recorder.sock"
VERSION = 1
NO_RECORDER = "SNAPLAB_NO_RECORDER_CHECK"
MAX_LINE = 256 * 1024  # a request is a few hundred bytes; a reply a few KiB
CHECK_TIMEOUT = 20.0  # a grade waits up to 3 s for the recorder to settle, then runs pytest
PING_EVERY = 15.0  # a subscriber that left is noticed at the next ping at the latest
_SUN_PATH = 100  # sockaddr_un holds 108 bytes: a longer path is reached through its directory


def socket_path(session: Session) -> Path:
    return session.dir / NAME


def disabled() -> bool:
    return os.environ.get(NO_RECORDER, "") not in ("", "0")


@contextlib.contextmanager
def _address(path: Path) -> Iterator[str]:
    """A name bind/connect accept: the path itself, or /proc/self/fd/N/NAME when too long."""
    if len(os.fsencode(path)) < _SUN_PATH:
        yield str(path)
        return
    fd = os.open(path.parent, os.O_PATH | os.O_DIRECTORY)
    try:
        yield f"/proc/self/fd/{fd}/{path.name}"
    finally:
        os.close(fd)


class Lines:
    """JSON objects, one a line, from a stream socket; a line too long or not JSON ends it."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = b""

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return self

    def __next__(self) -> dict[str, Any]:
        while b"\n" not in self.buf:
            if len(self.buf) > MAX_LINE:
                raise ValueError("line too long")
            chunk = self.sock.recv(65536)
            if not chunk:
                raise StopIteration
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        msg = json.loads(line)
        if not isinstance(msg, dict):
            raise ValueError("not a JSON object")
        return msg


def _send(sock: socket.socket, msg: dict[str, Any]) -> None:
    sock.sendall(json.dumps(msg, ensure_ascii=False).encode("utf-8") + b"\n")


# client side ------------------------------------------------------------------------------


def connect(session: Session, timeout: float | None) -> socket.socket | None:
    """A connection to the session's recorder, or None (no socket, nobody listening, not ours)."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        with _address(socket_path(session)) as where:
            sock.connect(where)
    except OSError:
        sock.close()
        return None
    return sock


def check(session: Session, timeout: float = CHECK_TIMEOUT) -> LabResult | None:
    """The recorder's grade of the session; None: grade in-process instead.

    A SnaplabError the recorder met (no session started, container gone, daemon
    down) is raised here as it would have been in-process.
    """
    if disabled():
        return None
    sock = connect(session, timeout)
    if sock is None:
        return None
    with sock:
        try:
            _send(sock, {"v": VERSION, "op": "check", "session": session.to_dict()})
            reply = next(Lines(sock), None)
        except (OSError, ValueError):
            return None
    if not reply:
        return None
    error = reply.get("error")
    if isinstance(error, dict):
        try:
            message, code = Text(str(error["en"]), str(error["ko"])), ExitCode(error["code"])
        except (KeyError, ValueError):
            return None
        raise SnaplabError(message, code)
    if reply.get("ok") is not True:
        return None
    try:
        return LabResult.from_dict(reply["result"])
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


def _entry(raw: Any) -> Entry | None:
    if not isinstance(raw, dict):
        return None
    try:
        return Entry(**raw)
    except TypeError:
        return None


class Subscription:
    """The recorder's news for one session: a new learner event each, as a journal Entry."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.lines = Lines(sock)
        self.heard: list[Entry] = []  # events heard, not yet written: `next` gathers them here

    def fileno(self) -> int:
        return self.sock.fileno()

    def pending(self) -> bool:
        return b"\n" in self.lines.buf

    def next(self) -> Entry | None:
        """The next event written (blocking); None for a ping, or for an event heard before
        its probe (added to `heard`). EOFError: the recorder went away."""
        try:
            msg = next(self.lines)
        except (StopIteration, OSError, ValueError):
            raise EOFError from None
        early = _entry(msg.get("heard"))
        if early is not None:
            self.heard.append(early)
            return None
        return _entry(msg.get("entry"))

    def close(self) -> None:
        self.sock.close()


def subscribe(session: Session, timeout: float = 5.0) -> Subscription | None:
    sock = connect(session, timeout)
    if sock is None:
        return None
    try:
        _send(sock, {"v": VERSION, "op": "subscribe", "session": session.to_dict()})
        ack = next(Lines(sock), None)
    except (OSError, ValueError):
        ack = None
    if not ack or ack.get("ok") is not True:
        sock.close()
        return None
    sock.settimeout(None)
    return Subscription(sock)


# server side (in the recorder process) ----------------------------------------------------


def _log(message: str) -> None:
    print(f"{now()} recorder: socket: {message}", file=sys.stderr, flush=True)


def _session(raw: Any) -> Session:
    """A peer's session, field by field as Session has them: only `url` may be None."""
    names = {f.name for f in dataclasses.fields(Session)}
    if not isinstance(raw, dict) or set(raw) != names:
        raise ValueError("no session")
    if not all(isinstance(raw[k], str) or (k == "url" and raw[k] is None) for k in names):
        raise ValueError("a malformed session")
    return Session(**raw)


def _error(e: SnaplabError) -> dict[str, Any]:
    m = e.message
    text = m if isinstance(m, Text) else Text(str(m), str(m))
    return {"ok": False, "error": {"en": text.en, "ko": text.ko, "code": int(e.code)}}


class Server:
    """Answers `check` and `subscribe` for the recorder's sessions, on a thread of its own."""

    def __init__(self, sessions: list[Session], mine: Callable[[Session], bool]) -> None:
        self.sessions = set(sessions)
        self.mine = mine
        self.grading = threading.Lock()  # pytest.main is not for two threads at once
        self.labs: dict[str, tuple[Any, Any]] = {}  # id -> ((lab.yaml, its mtime), the Lab)
        self.watchers: dict[Session, list[queue.Queue[str]]] = {}
        self.watchers_lock = threading.Lock()
        self.bound: list[tuple[Path, int]] = []  # (path, inode): unlinked at exit if still ours
        self.selector = selectors.DefaultSelector()
        self.began = time.time()

    def start(self) -> None:
        for session in self.sessions:
            try:
                sock = self._bind(socket_path(session))
            except OSError as e:  # check still works, in-process
                _log(f"cannot listen in {session.dir}: {e}")
                continue
            self.selector.register(sock, selectors.EVENT_READ)
        threading.Thread(target=self._accept, name="socket", daemon=True).start()
        threading.Thread(target=_prewarm, name="prewarm", daemon=True).start()

    def _bind(self, path: Path) -> socket.socket:
        """Bound under a temporary name, made 0600, then renamed into place: never reachable
        with looser permissions, and a stale socket of a dead recorder is replaced."""
        tmp = path.with_name(f".{NAME}.{os.getpid()}")
        tmp.unlink(missing_ok=True)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        with _address(tmp) as where:
            sock.bind(where)
        os.chmod(tmp, 0o600)
        os.rename(tmp, path)
        sock.listen(16)
        self.bound.append((path, os.stat(path).st_ino))
        return sock

    def close(self) -> None:
        for path, inode in self.bound:
            with contextlib.suppress(OSError):
                if os.stat(path).st_ino == inode:
                    path.unlink()

    def _accept(self) -> None:
        while True:
            for key, _ in self.selector.select():
                try:
                    conn, _addr = key.fileobj.accept()  # type: ignore[union-attr]
                except OSError:
                    continue
                threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            with conn:
                conn.settimeout(5.0)
                if not _permitted(conn):
                    return
                try:
                    msg = next(Lines(conn))
                    if msg.get("v") != VERSION:
                        raise ValueError(f"protocol version {msg.get('v')!r}, not {VERSION}")
                    session = _session(msg.get("session"))
                    op = msg.get("op")
                    if op not in ("check", "subscribe"):
                        raise ValueError(f"unknown op {op!r}")
                    if session not in self.sessions or not self.mine(session):
                        raise ValueError("not a session of this recorder")
                except (StopIteration, OSError, ValueError, TypeError) as e:
                    _send(conn, {"ok": False, "fallback": f"bad request: {e}"})
                    return
                if op == "check":
                    _send(conn, self._check(session))
                else:
                    self._subscribe(conn, session)
        except Exception as e:  # noqa: BLE001 - a peer's trouble is never the recorder's end
            _log(f"{type(e).__name__}: {e}")

    def _check(self, session: Session) -> dict[str, Any]:
        from snaplab.lab import runner

        with self.grading:
            try:
                lab = self._lab(session.lab)
                if stale(lab.checks, self.began):
                    return {"ok": False, "fallback": "the checks changed since the recorder began"}
                result = runner.check(lab, session)
            except SnaplabError as e:
                return _error(e)
            except Exception as e:  # noqa: BLE001 - the client grades in-process and says it
                _log(f"check: {type(e).__name__}: {e}")
                return {"ok": False, "fallback": f"{type(e).__name__}: {e}"}
        return {"ok": True, "result": result.to_dict()}

    def _lab(self, lab_id: str) -> Any:
        """The lab, parsed and validated once while its lab.yaml stays as it is (a `check`
        answered here then costs no ~10 ms of loading); an edited one is read afresh."""
        from snaplab.lab import model, packs

        found = packs.index().get(lab_id)
        if found is None:
            return model.load(lab_id)  # says which labs there are
        try:
            stamp = (found[1], found[1].stat().st_mtime_ns)
        except OSError:
            return model.load(lab_id)
        cached = self.labs.get(lab_id)
        if cached is None or cached[0] != stamp:
            cached = self.labs[lab_id] = (stamp, model.load(lab_id))
        return cached[1]

    def _subscribe(self, conn: socket.socket, session: Session) -> None:
        box: queue.Queue[str] = queue.Queue()
        with self.watchers_lock:
            self.watchers.setdefault(session, []).append(box)
        try:
            _send(conn, {"ok": True})
            while True:
                try:
                    line = box.get(timeout=PING_EVERY)
                except queue.Empty:
                    _send(conn, {"ping": now()})
                    continue
                conn.sendall(line.encode("utf-8") + b"\n")
        except OSError:
            pass  # the watcher left
        finally:
            with self.watchers_lock:
                self.watchers[session].remove(box)

    def notify(self, session: Session, entry: Entry) -> None:
        """After the recorder wrote an entry: a learner's event is news to the session's watchers
        (snaplab's own reads are not, or a watcher's re-grade would wake it again)."""
        self._tell(session, entry, "entry")

    def heard(self, session: Session, entry: Entry) -> None:
        """Before the recorder probes the container for an entry (which waits on the daemon):
        a page can show that the learner acted, at once."""
        self._tell(session, entry, "heard")

    def _tell(self, session: Session, entry: Entry, what: str) -> None:
        if entry.kind != "event" or entry.own:
            return
        line = json.dumps({what: json.loads(entry.to_json())}, ensure_ascii=False)
        with self.watchers_lock:
            for box in self.watchers.get(session, []):
                box.put(line)


def stale(checks: Path, began: float) -> bool:
    """A check module written after the recorder began (snaplab upgraded, a lab edited): the
    recorder would grade with the module its pytest imported first (Python keeps it, and
    chapter 10's imports chapter 9's), while the lab's yaml is read afresh. `check` grades
    in-process then, with both as they are. An upgrade rewrites every file of checks/."""
    try:
        return max(f.stat().st_mtime for f in [checks, *checks.parent.glob("*.py")]) > began
    except OSError:
        return True


def _permitted(conn: socket.socket) -> bool:
    """The socket's mode already says so; the peer's credentials say it again."""
    creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", creds)
    return uid in (os.getuid(), 0)


def _prewarm() -> None:
    """Import what grading needs now, not while the first `check` waits."""
    try:
        from snaplab.lab import grader, runner  # noqa: F401
    except Exception as e:  # noqa: BLE001 - the first check imports it again and reports
        _log(f"prewarm: {e}")
