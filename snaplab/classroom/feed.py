"""The live class kept current from the class recorders' own news: nothing polls a daemon.

Each learner's session has the class recorder's socket (snaplab/lab/channel.py): one
`subscribe` per learner streams every learner event the recorder hears, then writes. One
thread waits on all of those sockets at once. An event goes onto the learner's timeline and
out to the views as soon as the recorder hears it, before it probes the container (which
waits on the daemon); once the entry is written, the learner is marked for a re-grade. One
grading thread takes every learner marked since its last pass, grades them in one batch,
and publishes what changed, with the time of the earliest event the grade is news about:
at most one grade is in flight, and a burst of commands costs one grade, not one each.
Each learner's grade goes out as soon as their own checks have run, not at the batch's end.

A recorder that goes away (restarted by `class grade`, killed) is subscribed to again
after a pause, and the learner's journal read afresh, so no event it wrote meanwhile is
lost. A view that connects late asks for the whole state (`snapshot`), never a delta.
"""

from __future__ import annotations

import selectors
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from snaplab import classroom
from snaplab.classroom.gradebook import GRADED, LearnerResult
from snaplab.classroom.live import ClassState, Learner, Step
from snaplab.i18n import Text, both, detect
from snaplab.lab.journal import Entry

if TYPE_CHECKING:
    from snaplab.classroom.roster import Learner as Row
    from snaplab.classroom.roster import Roster
    from snaplab.lab.channel import Subscription
    from snaplab.lab.model import Lab

RETRY = 3.0  # seconds between tries to subscribe to a recorder that did not answer
# A learner who could not be graded (their host down, the daemon too busy to answer in time)
# is graded again after REGRADE s, then twice as long each time up to REGRADE_MAX, with no
# event of theirs needed: a host back up, or a daemon past a storm, shows on the page by
# itself (seen: 59 of 200 rows left blank after a storm). Such a try is a pass of its own,
# never in a batch of learners with news: a host that is off may take --timeout to fail.
REGRADE = 15.0
REGRADE_MAX = 300.0
Message = dict[str, Any]


def daemon(row: Row) -> str:
    return f"{row.backend} @ {row.url}" if row.url else row.backend


def now() -> datetime:
    return datetime.now(UTC)


class Feed:
    """The class state, its two threads, and whoever listens (the web app, the terminal)."""

    def __init__(
        self,
        lab: Lab,
        roster: Roster,
        stuck_after: float,
        timeout: float = 30.0,
    ) -> None:
        self.lab, self.roster, self.timeout = lab, roster, timeout
        steps = [Step(s.id, s.title, s.points) for s in lab.steps]
        people = [Learner(r.id, r.name, daemon(r)) for r in roster.learners]
        self.state = ClassState(roster.name, lab.id, steps, people, stuck_after)
        self.rows = {r.id: r for r in roster.learners}
        self.lock = threading.RLock()
        self.listeners: list[Callable[[Message], None]] = []
        self.dirty: dict[str, datetime | None] = {}  # learner -> earliest event not graded
        self.again: dict[str, tuple[float, float]] = {}  # not graded -> (when, how long after)
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self.selector = selectors.DefaultSelector()
        self.subs: dict[str, Subscription] = {}
        self.tried = 0.0
        self.grades = 0  # batches graded, for the bench and tests
        self.grading = 0  # learners in the grade now running

    # -- life ---------------------------------------------------------------------------

    def start(self) -> None:
        """Subscribe first, then read the journals: no event can fall between the two."""
        self._subscribe_missing(initial=True)
        with self.lock:
            for row in self.roster.learners:
                self.state.began(row.id, row.session(self.lab.id).entries())
                self.dirty[row.id] = None
        self.wake.set()
        threading.Thread(target=self._listen, name="live-listen", daemon=True).start()
        threading.Thread(target=self._grade_loop, name="live-grade", daemon=True).start()

    def stop(self) -> None:
        self.stopping.set()
        self.wake.set()
        for sub in list(self.subs.values()):
            sub.close()

    def subscribe(self, listener: Callable[[Message], None]) -> None:
        with self.lock:
            self.listeners.append(listener)

    def unsubscribe(self, listener: Callable[[Message], None]) -> None:
        with self.lock:
            if listener in self.listeners:
                self.listeners.remove(listener)

    def _publish(self, message: Message) -> None:
        for listener in list(self.listeners):
            try:
                listener(message)
            except Exception as e:  # noqa: BLE001 - one view's trouble is not the class's
                _warn(both(f"a view failed: {e}", f"화면 하나가 실패했습니다: {e}"))

    # -- the recorders' news ------------------------------------------------------------

    def _subscribe_missing(self, initial: bool = False) -> None:
        from snaplab.lab import channel

        self.tried = time.monotonic()
        for row in self.roster.learners:
            if row.id in self.subs:
                continue
            sub = channel.subscribe(row.session(self.lab.id), timeout=2.0)
            if sub is None:
                continue
            self.subs[row.id] = sub
            self.selector.register(sub.sock, selectors.EVENT_READ, row.id)
            if not initial:  # back after a gap: what the recorder wrote meanwhile is in the file
                with self.lock:
                    self.state.began(row.id, row.session(self.lab.id).entries())
                    self._publish({"kind": "learner", "id": row.id})
                self._mark(row.id, None)

    def _listen(self) -> None:
        while not self.stopping.is_set():
            if len(self.subs) < len(self.rows) and time.monotonic() - self.tried > RETRY:
                self._subscribe_missing()
            if not self.subs:
                self.stopping.wait(RETRY)
                continue
            for key, _ in self.selector.select(timeout=RETRY):
                self._read(key.data)

    def _read(self, learner_id: str) -> None:
        sub = self.subs[learner_id]
        try:
            entry = sub.next()
            entries = [entry] if entry else []
            while sub.pending():
                more = sub.next()
                if more:
                    entries.append(more)
        except EOFError:  # the recorder went away: subscribe again after a pause
            self.selector.unregister(sub.sock)
            sub.close()
            del self.subs[learner_id]
            return
        early, sub.heard = sub.heard, []
        if early:
            self.heard(learner_id, early, written=False)
        if entries:
            self.heard(learner_id, entries)

    def heard(self, learner_id: str, entries: list[Entry], written: bool = True) -> None:
        """The timeline and last activity at once; once the entries are `written` (the
        journal has them, probed), the grade follows on the grading thread."""
        with self.lock:
            new = [e for e in entries if self.state.event(learner_id, e)]
            if new:
                heard = now().isoformat()  # the recorder's delay and the server's, apart
                self._publish(
                    {"kind": "learner", "id": learner_id, "event_t": new[0].t, "heard_t": heard}
                )
        if written:  # heard early or not, the grade is news only now
            self._mark(learner_id, min(e.when for e in entries))

    def _mark(self, learner_id: str, since: datetime | None) -> None:
        with self.lock:
            old = self.dirty.get(learner_id)
            if learner_id not in self.dirty or (old and since and since < old):
                self.dirty[learner_id] = since
        self.wake.set()

    # -- grading --------------------------------------------------------------------------

    def _grade_loop(self) -> None:
        while not self.stopping.is_set():
            self.wake.wait(self._until_again())
            self.wake.clear()
            with self.lock:
                if self.dirty:  # news first, each time
                    batch, self.dirty = self.dirty, {}
                else:
                    at = time.monotonic()
                    batch = {i: None for i, (due, _) in self.again.items() if due <= at}
                self.grading = len(batch)
            if not batch or self.stopping.is_set():
                continue
            rows = [r for r in self.roster.learners if r.id in batch]
            taken: set[str] = set()

            def take(result: LearnerResult, batch: dict = batch, taken: set = taken) -> None:
                taken.add(result.id)
                self._take(result, batch.get(result.id))

            try:
                self.grade(rows, take)
            except Exception as e:  # noqa: BLE001 - keep serving, and try them again
                _warn(both(f"grading failed: {e}", f"채점하지 못했습니다: {e}"))
                with self.lock:
                    for learner_id in set(batch) - taken:
                        self._later(learner_id)
            else:
                self.grades += 1
            with self.lock:
                self.grading = 0

    def _take(self, result: LearnerResult, since: datetime | None) -> None:
        """One learner's fresh grade, onto the page at once: the batch's others may take
        long (a daemon in a storm), and theirs need not wait."""
        with self.lock:
            self.grading = max(0, self.grading - 1)
            if result.status == GRADED:
                self.again.pop(result.id, None)
            else:
                self._later(result.id)
            if self.state.graded(result, since):
                news: Message = {"kind": "learner", "id": result.id}
                if since is not None:  # the event this grade is news about
                    news["graded_since"] = since.isoformat()
                self._publish(news)

    def _later(self, learner_id: str) -> None:
        """Try this learner again: REGRADE s after the first miss, then twice as long."""
        _, after = self.again.get(learner_id, (0.0, REGRADE / 2))
        after = min(2 * after, REGRADE_MAX)
        self.again[learner_id] = (time.monotonic() + after, after)

    def _until_again(self) -> float | None:
        """Seconds until the next learner is due to be tried again; None: nobody is."""
        with self.lock:
            if not self.again:
                return None
            return max(0.0, min(due for due, _ in self.again.values()) - time.monotonic())

    def grade(self, rows: list[Row], each: Callable[[LearnerResult], None]) -> None:
        """Each learner's grade (in both languages), handed to `each` as it is made, in one
        pass: `class grade`'s own (snaplab/classroom/grading.py), which is safe on this
        thread. Not by the recorder's socket `check`: the class's recorder would then grade
        while it should be hearing the class's events, and every learner's event would wait
        behind everyone's grades (seen: p95 7.5 s from the daemon's event to the page, 50
        learners at once)."""
        from snaplab.classroom import grading

        grading.grade_all(self.lab, rows, classroom.READS, self.timeout, progress=each)

    # -- reading -----------------------------------------------------------------------------

    def snapshot(self, lang: str) -> dict[str, Any]:
        """The state, and how many learners' grades are still to come (being graded, or
        waiting for the grade after it): a page can say its scores are catching up."""
        with self.lock:
            return {**self.state.snapshot(now(), lang), "to_grade": self.grading + len(self.dirty)}

    def row(self, learner_id: str, lang: str) -> dict[str, Any]:
        with self.lock:
            return self.state.row(learner_id, now(), lang, self.state.median_done())

    def learner(self, learner_id: str, lang: str) -> dict[str, Any]:
        with self.lock:
            return self.state.learner(learner_id, now(), lang)

    def funnel(self) -> list[int]:
        with self.lock:
            return self.state.funnel()


def _warn(said: Text) -> None:
    """On the server's terminal, beside uvicorn's own lines; the class goes on."""
    print(f"snaplab: {said.get(detect())}", file=sys.stderr, flush=True)
