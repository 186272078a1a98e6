"""What the journal proves happened, and in which order. Pure logic, no daemon.

Each fact is the time a step's evidence first appears *after* the previous
step's, so a skipped or out-of-order step leaves its fact (and every later one)
empty. The checks in checks/ assert on these facts; unit tests feed entries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from snaplab.lab.journal import Entry

STOPS = ("instance-shutdown", "instance-stopped")
_EPS = timedelta(microseconds=1)


@dataclass
class Live:
    """What `check` itself read from the daemon and the container just now."""

    exists: bool
    created_at: str = ""
    status: str = ""
    protected: bool = False
    file: bool | None = None
    snapshots: dict[str, str] = field(default_factory=dict)  # name -> created_at


@dataclass
class Facts:
    snapshot: str = ""
    taken: datetime | None = None
    listed: datetime | None = None
    touched: datetime | None = None
    stopped: datetime | None = None
    restored: datetime | None = None
    started: datetime | None = None
    looked: datetime | None = None
    deleted: datetime | None = None
    same_container: bool = False
    running: bool = False
    protected: bool = False


class Timeline:
    def __init__(self, entries: list[Entry], live: Live) -> None:
        self.live = live
        self.entries = sorted(self._current(entries), key=lambda e: e.when)
        self.facts = self._derive()

    def _current(self, entries: list[Entry]) -> list[Entry]:
        """Only what happened to this very container since `start` made it."""
        starts = [
            i
            for i, e in enumerate(entries)
            if e.kind == "start" and e.created_at == self.live.created_at
        ]
        if not starts:
            return []
        begun = entries[starts[-1]]
        # events of start's own create and boot may be written after its entry: not the learner's
        return [e for e in entries[starts[-1] :] if e is begun or e.when >= begun.when]

    def events(
        self,
        *actions: str,
        after: datetime | None = None,
        before: datetime | None = None,
        snapshot: str | None = None,
    ) -> list[Entry]:
        return [
            e
            for e in self.entries
            if e.kind == "event"
            and e.action in actions
            and (after is None or e.when > after)
            and (before is None or e.when < before)
            and (snapshot is None or e.snapshot == snapshot)
        ]

    def seen(self, after: datetime | None = None) -> list[Entry]:
        """Entries that looked at the file (recorder probes and check's observations)."""
        return [
            e
            for e in self.entries
            if e.file is not None
            and e.kind in ("event", "observe")
            and (after is None or e.when > after)
        ]

    def chosen_snapshot(self) -> str:
        """The chapter lets the learner pick any name: follow the one they restored."""
        restored = self.events("instance-restored")
        if restored:
            return restored[-1].snapshot
        created = self.events("instance-snapshot-created")
        alive = [e.snapshot for e in created if e.snapshot in self.live.snapshots]
        if alive:
            return alive[-1]
        if created:
            return created[-1].snapshot
        return next(iter(self.live.snapshots), "")

    def _derive(self) -> Facts:
        f = Facts()
        if not self.entries:
            return f
        start = self.entries[0].when
        f.same_container = self.live.exists and self.entries[0].kind == "start"
        f.running = self.live.status == "Running"
        f.protected = self.live.protected
        f.snapshot = s = self.chosen_snapshot()
        if not s:
            return f
        created = self.events("instance-snapshot-created", after=start, snapshot=s)
        f.taken = created[0].when if created else None
        if f.taken is None:
            return f
        f.listed = self._listed(s, f.taken)
        if f.listed is None:
            return f
        f.touched = self._touched(s, f.taken)
        if f.touched is None:
            return f
        # the probe that first saw the file may be the stop's own: "at or after". A restore
        # made while running does not bar a later stop: that is what its hint asks for.
        stops = self.events(*STOPS, after=f.touched - _EPS)
        f.stopped = stops[0].when if stops else None
        if f.stopped is None:
            return f
        # into the stopped container: a restore while running is preceded by its own start
        f.restored = next(
            (
                r.when
                for r in self.events("instance-restored", after=f.stopped, snapshot=s)
                if not self._running_at(r.when)
            ),
            None,
        )
        if f.restored is None:
            return f
        starts = self.events("instance-started", after=f.restored)
        f.started = starts[0].when if starts else None
        if f.started is None:
            return f
        f.looked = next(
            (
                e.when
                for e in self.events("instance-exec", after=f.started)
                if not e.own and e.file is False and self._existed(s, e.when)
            ),
            None,
        )
        if f.looked is None:
            return f
        f.deleted = next(
            (
                d.when
                for d in self.events("instance-snapshot-deleted", after=f.looked, snapshot=s)
                if self._running_at(d.when)
            ),
            None,
        )
        return f

    def _touched(self, s: str, taken: datetime) -> datetime | None:
        """First sight of the file after the snapshot, if the snapshot cannot hold it.

        Not in the snapshot means: seen absent after the snapshot and before the
        file appeared, or made absent by restoring that very snapshot.
        """
        seen = self.seen(after=taken - _EPS)
        for i, e in enumerate(seen):
            if e.file and e.when > taken:
                absent_before = any(p.file is False for p in seen[:i])
                undone = any(
                    r.file is False
                    for r in self.events("instance-restored", after=e.when, snapshot=s)
                )
                if absent_before or undone:
                    return e.when
        return None

    def _listed(self, s: str, taken: datetime) -> datetime | None:
        """`info` was asked for (the daemon logged the request) while the snapshot existed."""
        deleted = self.events("instance-snapshot-deleted", after=taken, snapshot=s)
        until = deleted[0].when if deleted else None
        infos = self.events("info-requested", after=taken, before=until)
        return infos[0].when if infos else None

    def _existed(self, s: str, when: datetime) -> bool:
        """From the order of the daemon's events, never from a probe taken later.

        A pasted block gives the recorder no time to probe between commands: by
        the time it probes an exec, the next command may have deleted the snapshot.
        """
        made = self.events("instance-snapshot-created", before=when, snapshot=s)
        if not made:
            return False
        gone = self.events("instance-snapshot-deleted", after=made[-1].when, snapshot=s)
        return not gone or gone[0].when > when

    def _running_at(self, when: datetime) -> bool:
        power = self.events("instance-started", *STOPS, before=when)
        return bool(power) and power[-1].action == "instance-started"
