"""A class as it is right now: one state that the web dashboard and `class watch` both draw.

Why one module of pure logic: the page, the terminal and the JSON must agree on who is
stuck, what a learner's score is and what they did, and that is only testable by hand-fed
journal entries and grades, with no daemon, no thread and no clock but the one passed in.
The feed (snaplab/classroom/feed.py) calls `event` as the class's recorders report each
learner's event, and `graded` when a re-grade lands; the views call `rows`, `learner` and
`snapshot`.

Stuck means: no step proven for `stuck_after` seconds (since the lab began, or the last
step proven), or at least BEHIND steps behind the class's median. A learner who could not
be graded is never stuck and never zero: their row says why.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from snaplab.classroom.gradebook import GRADED, UNREACHABLE, LearnerResult
from snaplab.i18n import Text, both
from snaplab.lab.journal import Entry, parse_time

BEHIND = 3  # steps behind the class median that count as stuck
WAITING = "waiting"  # before their first grade
TIMELINE = 200  # events kept per learner: the page shows the latest

# a lifecycle action in the learner's words: {s} is the snapshot, {n} another resource's name
WORDS: dict[str, tuple[str, str]] = {
    "instance-snapshot-created": ("snapshot {s} created", "스냅샷 {s} 만듦"),
    "instance-snapshot-deleted": ("snapshot {s} deleted", "스냅샷 {s} 삭제함"),
    "instance-snapshot-renamed": ("snapshot {s} renamed", "스냅샷 {s} 이름 바꿈"),
    "instance-restored": ("restored from {s}", "{s}에서 복원함"),
    "instance-started": ("started", "시작함"),
    "instance-stopped": ("stopped", "중지함"),
    "instance-shutdown": ("shut down", "종료함"),
    "instance-restarted": ("restarted", "다시 시작함"),
    "instance-exec": ("a shell or command began", "셸이나 명령을 실행함"),
    "instance-exec-ended": ("a shell or command ended", "셸이나 명령이 끝남"),
    "instance-created": ("created", "만듦"),
    "instance-deleted": ("deleted", "삭제함"),
    "instance-updated": ("configuration changed", "설정을 바꿈"),
    "info-requested": ("info requested", "정보를 조회함"),
    "instance-read": ("container read", "컨테이너를 조회함"),
}


def words(entry: Entry) -> Text:
    """What the learner did, as they would say it ("snapshot 업그레이드-전 created")."""
    en, ko = WORDS.get(entry.action) or (_plain(entry.action), _plain(entry.action))
    said = both(en.format(s=entry.snapshot or "?"), ko.format(s=entry.snapshot or "?"))
    if entry.name:
        said = both(f"{entry.name}: ", f"{entry.name}: ") + said
    if entry.by:
        said = said + both(f" (by the daemon's {entry.by})", f" (데몬의 {entry.by})")
    return said


def _plain(action: str) -> str:
    return action.removeprefix("instance-").replace("-", " ")


def iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class Step:
    id: str
    title: Text
    points: int


@dataclass
class Learner:
    """One row: who, and everything the class page says about them."""

    id: str
    name: str
    daemon: str  # the backend, and where: "lxd", "incus @ https://host:8443"
    began: datetime | None = None  # the lab's start on their container (journal's start entry)
    result: LearnerResult | None = None  # the latest grade
    state: str = WAITING  # waiting | graded | failed | unreachable
    reason: Text = field(default_factory=lambda: both("", ""))
    timeline: list[tuple[datetime, Text]] = field(default_factory=list)
    proven: dict[str, datetime] = field(default_factory=dict)  # step id -> when proven
    last: datetime | None = None  # their latest event
    seen: set[tuple[str, ...]] = field(default_factory=set)  # events on the timeline already
    version: int = 0  # bumped on every change: a view redraws only what moved

    def passed(self) -> list[str]:
        r = self.result
        if r is None or r.status != GRADED:
            return []
        return [s.id for s in r.steps if s.status == "pass"]


class ClassState:
    """The live class. Not thread-safe by itself: the feed calls it under its own lock."""

    def __init__(
        self, name: str, lab: str, steps: list[Step], learners: list[Learner], stuck_after: float
    ) -> None:
        self.name, self.lab, self.steps = name, lab, steps
        self.learners = {x.id: x for x in learners}
        self.order = [x.id for x in learners]
        self.stuck_after = stuck_after

    # -- what the feed tells it ------------------------------------------------------------

    def began(self, learner_id: str, entries: list[Entry]) -> None:
        """Their journal as it stands: the lab's last start, and every learner event since."""
        x = self.learners[learner_id]
        starts = [i for i, e in enumerate(entries) if e.kind == "start"]
        x.timeline, x.last, x.seen = [], None, set()
        if not starts:  # never started here: their grade will say why (unreachable, missing)
            x.began = None
            x.version += 1
            return
        x.began = entries[starts[-1]].when
        for e in entries[starts[-1] + 1 :]:
            self.event(learner_id, e)
        x.version += 1

    def event(self, learner_id: str, entry: Entry) -> bool:
        """A learner's event the recorder wrote: onto their timeline at once, before any grade.
        False: not one of theirs (snaplab's own read, not an event, another learner)."""
        x = self.learners.get(learner_id)
        if x is None or entry.kind != "event" or entry.own:
            return False
        key = (entry.t, entry.action, entry.snapshot, entry.name)
        if key in x.seen:  # heard on the socket and read from the journal both
            return False
        x.seen.add(key)
        when = entry.when
        x.timeline.append((when, words(entry)))
        x.timeline.sort(key=lambda t: t[0])
        del x.timeline[:-TIMELINE]
        x.last = max(x.last, when) if x.last else when
        x.version += 1
        return True

    def graded(self, result: LearnerResult, since: datetime | None) -> bool:
        """A fresh grade of one learner. `since`: the time of the earliest event this grade
        is news about; a step first seen passing now was proven then (or at the time the
        grade itself says, once it says one). True if it changed."""
        x = self.learners[result.id]
        before = (x.state, _marks(x.result), x.proven.copy())
        x.result = result
        if result.status == GRADED:
            x.state, x.reason = GRADED, both("", "")
            for s in result.steps:
                if s.status == "pass" and s.id not in x.proven:
                    own = getattr(s, "proven", "")  # the grade's own time, where it has one
                    at = parse_time(own) if own else since or x.last or x.began
                    if at is not None:
                        x.proven[s.id] = at
                elif s.status != "pass":
                    x.proven.pop(s.id, None)  # undone (a restore, a delete): proven again later
        else:
            x.state, x.reason = result.status, result.reason
        changed = before != (x.state, _marks(x.result), x.proven)
        if changed:
            x.version += 1
        return changed

    def unreachable(self, learner_id: str, reason: Text) -> None:
        x = self.learners[learner_id]
        x.state, x.reason = UNREACHABLE, reason
        x.version += 1

    # -- what the views read --------------------------------------------------------------

    def median_done(self) -> float:
        done = [len(x.passed()) for x in self.learners.values() if x.state == GRADED]
        return statistics.median(done) if done else 0.0

    def row(self, learner_id: str, now: datetime, lang: str, median: float) -> dict[str, Any]:
        """One learner as the class page shows them, in `lang`; times in ISO 8601 UTC."""
        x = self.learners[learner_id]
        r = x.result
        graded = x.state == GRADED and r is not None
        member = r.result.member if r and r.result else ""  # the cluster member, if any
        passed = set(x.passed())
        current = next((i for i, s in enumerate(self.steps) if s.id not in passed), None)
        since = max([x.began, *x.proven.values()], default=None) if x.began else None
        stuck_at = None
        behind = False
        if graded and current is not None and since is not None:
            stuck_at = since.timestamp() + self.stuck_after
            behind = len(passed) <= median - BEHIND
        stuck = stuck_at is not None and (behind or now.timestamp() >= stuck_at)
        return {
            "id": x.id,
            "name": x.name,
            "daemon": f"{x.daemon} · {member}" if member else x.daemon,
            "state": x.state,
            "state_label": STATES[x.state].get(lang),
            "reason": x.reason.get(lang),
            "score": f"{r.score}/{r.max_score}" if graded and r else "",
            "points": r.score if graded and r else None,
            "done": len(passed),
            "step": current + 1 if graded and current is not None else None,
            "step_title": self.steps[current].title.get(lang)
            if graded and current is not None
            else "",
            "complete": graded and current is None,
            "on_step_since": iso(since) if since and graded and current is not None else "",
            "last_activity": iso(x.last) if x.last else "",
            "stuck": stuck,
            "stuck_at": iso(datetime.fromtimestamp(stuck_at, UTC)) if stuck_at else "",
            "behind": behind,
            "version": x.version,
        }

    def rows(self, now: datetime, lang: str) -> list[dict[str, Any]]:
        median = self.median_done()
        return [self.row(i, now, lang, median) for i in self.order]

    def funnel(self) -> list[int]:
        """For each step, how many learners have passed it."""
        counts = dict.fromkeys((s.id for s in self.steps), 0)
        for x in self.learners.values():
            for sid in x.passed():
                if sid in counts:
                    counts[sid] += 1
        return list(counts.values())

    def learner(self, learner_id: str, now: datetime, lang: str) -> dict[str, Any]:
        """A learner's page: their row, checklist with the hint as `check` shows it, timeline."""
        x = self.learners[learner_id]
        r = x.result
        checklist = []
        for i, s in enumerate(self.steps):
            got = next((g for g in r.steps if g.id == s.id), None) if r else None
            checklist.append(
                {
                    "n": i + 1,
                    "id": s.id,
                    "title": s.title.get(lang),
                    "status": got.status if got else "",
                    "points": got.points if got else None,
                    "max_points": s.points,
                    "message": got.message.get(lang) if got else "",
                    "hint": got.hint.get(lang) if got and got.hint and got.status == "fail" else "",
                    "proven": iso(x.proven[s.id]) if s.id in x.proven else "",
                }
            )
        return {
            **self.row(learner_id, now, lang, self.median_done()),
            "began": iso(x.began) if x.began else "",
            "checklist": checklist,
            "notes": [n.get(lang) for n in r.result.notes]
            if r and r.result and x.state == GRADED
            else [],
            "timeline": [{"t": iso(t), "what": w.get(lang)} for t, w in reversed(x.timeline)],
        }

    def snapshot(self, now: datetime, lang: str) -> dict[str, Any]:
        """The gradebook's shape (class, lab, steps, learners as LearnerResult) plus the live
        fields: each learner's `live` row, the funnel, and the time it was taken."""
        learners = []
        rows = self.rows(now, lang)
        for row in rows:
            x = self.learners[row["id"]]
            r = x.result
            book = r.render(lang) if r else {"id": x.id, "name": x.name, "status": x.state}
            if x.state != GRADED:  # never a stale or zero score for one we cannot grade now
                book = {**book, "status": x.state, "score": None, "reason": row["reason"]}
            learners.append({**book, "live": row})
        return {
            "class": self.name,
            "lab": self.lab,
            "steps": [
                {"id": s.id, "title": s.title.get(lang), "max_points": s.points} for s in self.steps
            ],
            "max_score": sum(s.points for s in self.steps),
            "learners": learners,
            "funnel": self.funnel(),
            "median_done": self.median_done(),
            "stuck_after": self.stuck_after,
            "generated_at": iso(now),
        }


def help_order(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Who needs help first: stuck, then those we cannot grade, then the fewest steps done,
    then the longest on their step; the finished last."""

    def key(r: dict[str, Any]) -> tuple:
        return (
            not r["stuck"],
            r["state"] == GRADED,
            r["complete"],
            r["done"],
            r["on_step_since"] or "~",
        )

    return sorted(rows, key=key)


def _marks(r: LearnerResult | None) -> tuple:
    if r is None:
        return ()
    return (r.status, r.score, tuple((s.id, s.status, s.message) for s in r.steps))


STATES: dict[str, Text] = {
    WAITING: both("waiting for a grade", "채점 대기 중"),
    GRADED: both("graded", "채점됨"),
    "failed": both("could not grade", "채점 실패"),
    UNREACHABLE: both("unreachable", "연결 불가"),
}
