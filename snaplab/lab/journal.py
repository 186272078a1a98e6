"""The lab's evidence journal: what the daemon did, kept where a restore cannot reach.

Why a journal at all: neither daemon keeps a history, a restore rewinds the
container's files and its `user.*` keys, and the chapter ends by deleting the
snapshot. So every step's evidence is written down as it happens, by the
recorder (lifecycle events from `/1.0/events`, each with a probe of the lab's
files and the snapshots) and by `check` (its own observations), into a JSON-lines
file in the learner's own state directory. An event the daemon caused itself (a
scheduled snapshot, an expired one pruned) says so in `by`; a learner's has none.
"""

from __future__ import annotations

import json
import os
import re
import threading
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from snaplab.paths import state_dir, writable_dir

if TYPE_CHECKING:
    from snaplab.lab.model import Lab

_TIME = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)?$")


@dataclass
class Entry:
    t: str  # RFC 3339, the daemon's time for events, ours for observations
    kind: str  # start | event | observe | recorder | mark (check's, see entries.MARK)
    action: str = ""  # lifecycle action, e.g. instance-snapshot-created
    snapshot: str = ""  # the snapshot an event names
    own: bool = False  # an exec snaplab itself made (check's reads)
    by: str = ""  # the daemon's own task that caused the event (record.tasks), e.g. scheduler
    files: dict[str, bool] = field(default_factory=dict)  # path -> seen there; absent: unknown
    config: dict[str, str] = field(default_factory=dict)  # the lab's config keys that were set
    snapshots: list[str] = field(default_factory=list)
    status: str = ""  # Running / Stopped
    created_at: str = ""  # on start entries: the container's identity
    note: str = ""
    name: str = ""  # the resource an event is about when not the lab instance (record.others)

    @cached_property
    def when(self) -> datetime:
        """Parsed once: a grade sorts and filters a journal by it hundreds of times."""
        return parse_time(self.t)

    def to_json(self) -> str:
        # keep False: "seen absent" is evidence; drop only what was never set
        d = {k: v for k, v in asdict(self).items() if v is not None and v not in ("", [], {})}
        if not self.own:
            d.pop("own")
        return json.dumps(d, ensure_ascii=False)


def parse_time(value: str) -> datetime:
    """Daemon times carry nanoseconds, which fromisoformat rejects: keep microseconds."""
    m = _TIME.match(value)
    if not m:
        return datetime.fromisoformat(value)
    head, frac, tz = m.groups()
    tz = "+00:00" if tz in ("Z", "") else tz
    return datetime.fromisoformat(f"{head}.{(frac or '0')[:6].ljust(6, '0')}{tz}")


def read(journal: Path) -> list[Entry]:
    """Every entry, read from the start: a reader of its own (see Reader)."""
    return Reader(journal).read()


def parse_lines(lines: list[bytes]) -> list[Entry]:
    out = []
    for line in lines:
        try:
            out.append(Entry(**json.loads(line)))
        except (ValueError, TypeError):
            continue  # a line torn by a killed writer: skip, never crash
    return out


class Reader:
    """A journal read as it grows: each read parses only the lines written since the last.

    `check` looks again and again while it waits for the recorder, the recorder grades the
    same journal at every `check` and `watch`, and a live view follows many: none of them
    should parse the whole file each time. A line still being written waits for its newline.
    A journal replaced (`finish`, then `start`: a new file, which may even get the old one's
    inode) is told by its first bytes and read afresh. One reader may serve several threads.
    """

    HEAD = 256  # bytes of the file's beginning kept to tell a replaced journal

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0
        self.head = b""
        self.entries: list[Entry] = []
        self.lock = threading.Lock()

    def read(self) -> list[Entry]:
        """Every entry so far (a new list; the entries themselves are shared)."""
        with self.lock:
            self._more()
            return list(self.entries)

    def new(self) -> list[Entry]:
        """The entries written since the last call (all of them after a replacement)."""
        with self.lock:
            return self._more()

    def _more(self) -> list[Entry]:
        try:
            with open(self.path, "rb") as f:
                if self.offset and (
                    os.fstat(f.fileno()).st_size < self.offset
                    or f.read(len(self.head)) != self.head
                ):
                    self._reset()
                f.seek(self.offset)
                data = f.read()
                if not self.offset:
                    self.head = data[: self.HEAD]
        except OSError:
            self._reset()
            return []
        end = data.rfind(b"\n") + 1
        if not end:
            return []
        self.offset += end
        fresh = parse_lines(data[:end].splitlines())
        self.entries.extend(fresh)
        return fresh

    def _reset(self) -> None:
        self.offset, self.head, self.entries = 0, b"", []


_readers: dict[Path, Reader] = {}
_readers_lock = threading.Lock()


def reader(journal: Path) -> Reader:
    """This process's one reader of a journal."""
    with _readers_lock:
        found = _readers.get(journal)
        if found is None:
            found = _readers[journal] = Reader(journal)
        return found


def now() -> str:
    return datetime.now(UTC).isoformat()


JOURNAL = "journal.jsonl"


@dataclass(frozen=True)
class Session:
    """One learner's run of one lab on one instance: the key of everything kept."""

    lab: str
    backend: str
    project: str
    instance: str
    url: str | None = None

    @property
    def name(self) -> str:
        """Its directory's name, under whichever state home: nobody else spells it."""
        key = container_key(self.backend, self.url, self.project, self.instance)
        return f"{self.lab}-{key}"

    @property
    def dir(self) -> Path:
        return writable_dir(state_dir() / self.name)

    def journal_under(self, state: Path) -> Path:
        """The journal of this session kept in another user's (or a test's) snaplab state
        directory, `STATE_HOME/snaplab`: nothing is made there."""
        return state / self.name / JOURNAL

    @property
    def journal(self) -> Path:
        return self.dir / JOURNAL

    @property
    def pidfile(self) -> Path:
        """The recorder's pid (a class's shared recorder writes it into each of its sessions)."""
        return self.dir / "recorder.pid"

    @property
    def start_lock(self) -> Path:
        return self.dir / "start.lock"

    def append(self, entry: Entry) -> None:
        with open(self.journal, "a", encoding="utf-8") as f:
            f.write(entry.to_json() + "\n")
            f.flush()
            os.fsync(f.fileno())

    def entries(self) -> list[Entry]:
        """Every entry so far, parsing only what was written since this process last read."""
        return reader(self.journal).read()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def container_key(backend: str, url: str | None, project: str, instance: str) -> str:
    """The one name of a container across snaplab: a session's directory is named by it, and
    two roster rows with one key would share that directory, so the roster refuses them."""
    where = "local" if not url else url.split("//", 1)[-1].replace(":", "_")
    return f"{backend}-{where}-{project}-{instance}"


# Which session a verb means. Here, beside Session, and not in runner: `check`'s client side
# asks the recorder for the grade and must not import pylxd or pytest to find its socket.


def current_file(lab_id: str) -> Path:
    return state_dir() / f"current-{lab_id}.json"


def session_for(
    lab: Lab, backend: str | None, instance: str | None, project: str | None, url: str | None = None
) -> Session:
    """Flags win; otherwise the session `start` last began for this lab; otherwise defaults."""
    from snaplab.lab.model import check_name

    remembered: dict = {}
    path = current_file(lab.id)
    if path.exists():
        try:
            remembered = json.loads(path.read_text())
        except ValueError:
            remembered = {}
    name = check_name(instance or remembered.get("instance") or lab.instance, "instance")
    return Session(
        lab.id,
        backend or remembered.get("backend") or "lxd",
        project or remembered.get("project") or "default",
        name,
        url if url is not None else remembered.get("url"),
    )


# model.NAME, here too: the quick way below must not import the lab engine to check a name
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,62}$")


def _named(name: str | None) -> bool:
    return bool(name) and bool(_NAME.match(name or "")) and not (name or "").endswith("-")


def quick_session(
    lab_id: str, backend: str | None, instance: str | None, project: str | None
) -> Session | None:
    """session_for's answer without loading the lab: `check`'s quick way to its recorder,
    which loads the lab itself (parsing and validating it costs a `check` ~60 ms). None when
    only the lab could say (its own instance name), or a name is one session_for refuses."""
    if not _named(lab_id) or (instance is not None and not _named(instance)):
        return None
    try:
        found = json.loads(current_file(lab_id).read_text())
    except (OSError, ValueError):
        found = {}
    if not isinstance(found, dict):
        return None
    name = instance or found.get("instance")
    if not isinstance(name, str) or not _named(name):
        return None
    return Session(
        lab_id,
        backend or found.get("backend") or "lxd",
        project or found.get("project") or "default",
        name,
        found.get("url"),
    )


def remember(session: Session) -> None:
    current_file(session.lab).write_text(json.dumps(session.to_dict()))
