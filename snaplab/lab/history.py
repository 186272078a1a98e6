"""A session's journal as a check asks it: what happened, when, and in which order.

Pure logic, no daemon. The rules live in the lab's checks (checks/test_<lab>.py);
this is only the vocabulary they use: events by action and time, sightings of a
file, whether the instance ran or a snapshot existed at a given moment. Unit tests
feed it entries by hand.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from snaplab.lab.journal import Entry

STOPPED = ("instance-shutdown", "instance-stopped")  # a clean stop, or a forced one
TICK = timedelta(microseconds=1)  # the journal's resolution: "at or after" is "after t - TICK"


@dataclass
class Live:
    """What was read from the daemon and the instance just now, when the checks began."""

    exists: bool
    created_at: str = ""
    status: str = ""
    protected: bool = False
    files: dict[str, bool | None] = field(default_factory=dict)  # None: could not tell
    snapshots: dict[str, str] = field(default_factory=dict)  # name -> created_at


class History:
    def __init__(self, entries: list[Entry], live: Live) -> None:
        self.live = live
        self.entries = sorted(self._current(entries), key=lambda e: e.when)

    def _current(self, entries: list[Entry]) -> list[Entry]:
        """Only what happened to this very instance since `start` made it."""
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

    @property
    def begun(self) -> datetime | None:
        """When the lab began on this instance; None if the instance is not the lab's."""
        return self.entries[0].when if self.entries else None

    @property
    def same_instance(self) -> bool:
        """The instance `start` made is still there: not deleted and made again."""
        return self.live.exists and bool(self.entries) and self.entries[0].kind == "start"

    def events(
        self,
        *actions: str,
        after: datetime | None = None,
        before: datetime | None = None,
        snapshot: str | None = None,
        where: Callable[[Entry], bool] | None = None,
        by: str | None = None,
        name: str | None = None,
    ) -> list[Entry]:
        """The daemon's events (and the recorder's own, such as a request), oldest first.

        `by`: only those the daemon's own task of that name caused (record.tasks), e.g.
        "scheduler"; "" only a learner's; None either.
        `name`: None the lab instance's; a name, that resource's (record.others), e.g. a copy.
        """
        return [
            e
            for e in self.entries
            if e.kind == "event"
            and e.action in actions
            and (after is None or e.when > after)
            and (before is None or e.when < before)
            and (snapshot is None or e.snapshot == snapshot)
            and (by is None or e.by == by)
            and e.name == (name or "")
            and (where is None or where(e))
        ]

    def first(
        self,
        *actions: str,
        after: datetime | None = None,
        before: datetime | None = None,
        snapshot: str | None = None,
        where: Callable[[Entry], bool] | None = None,
        by: str | None = None,
        name: str | None = None,
    ) -> datetime | None:
        """When the first such event happened, or None: what a step is proven by."""
        found = self.events(
            *actions, after=after, before=before, snapshot=snapshot, where=where, by=by, name=name
        )
        return found[0].when if found else None

    def sightings(
        self, path: str, after: datetime | None = None, name: str | None = None
    ) -> list[Entry]:
        """Entries that saw whether `path` existed: the recorder's probes and check's own looks
        (`name`: in another instance the lab names, by the recorder's probes of its events)."""
        return [
            e
            for e in self.entries
            if e.files.get(path) is not None
            and e.kind in ("event", "observe")
            and e.name == (name or "")
            and (after is None or e.when > after)
        ]

    def running_at(self, when: datetime) -> bool:
        power = self.events("instance-started", *STOPPED, before=when)
        return bool(power) and power[-1].action == "instance-started"

    def existed(self, snapshot: str, when: datetime) -> bool:
        """From the order of the daemon's events, never from a probe taken later.

        A pasted block gives the recorder no time to probe between commands: by
        the time it probes an exec, the next command may have deleted the snapshot.
        """
        made = self.events("instance-snapshot-created", before=when, snapshot=snapshot)
        if not made:
            return False
        gone = self.events("instance-snapshot-deleted", after=made[-1].when, snapshot=snapshot)
        return not gone or gone[0].when > when

    def chosen_snapshot(self) -> str:
        """A learner may name a snapshot anything: follow the one restored, else the one made
        (by the learner: not one the daemon's scheduler made)."""
        restored = self.events("instance-restored")
        if restored:
            return restored[-1].snapshot
        created = self.events("instance-snapshot-created", by="")
        alive = [e.snapshot for e in created if e.snapshot in self.live.snapshots]
        if alive:
            return alive[-1]
        if created:
            return created[-1].snapshot
        return next(iter(self.live.snapshots), "")
