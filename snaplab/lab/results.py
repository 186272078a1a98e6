"""A graded lab as plain data: the one result model of `check`, `grade`, `watch`, `solve`,
the class gradebook and the dashboard.

Its texts keep both languages, so one grade serves any reader: `to_dict` is the wire
format (the recorder hands it to `check`), and each view renders one language: `render`
(JSON), `to_junit`, `check`'s text (commands/check.py), and the class's CSV, JSON, JUnit
and HTML (classroom/gradebook.py), which hold one LabResult per learner.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from snaplab.i18n import Text
from snaplab.status import FAIL, PASS, PENDING

__all__ = ["FAIL", "PASS", "PENDING", "LabResult", "StepResult", "iso"]


def iso(when: datetime | None) -> str:
    """A time as RFC 3339 UTC, "" for none: plain text survives JSON, CSV and the wire alike."""
    if when is None:
        return ""
    return when.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _text(t: Text | None) -> dict[str, str] | None:
    return {"en": t.en, "ko": t.ko} if t is not None else None


def _untext(d: dict[str, str]) -> Text:
    return Text(d["en"], d["ko"])


@dataclass
class StepResult:
    id: str
    title: Text
    status: str  # pass | fail | pending
    points: int
    max_points: int
    message: Text
    hint: Text | None = None  # only on the first unfinished step
    proven: str = ""  # when its evidence happened (RFC 3339 UTC); "" unless it passed

    def to_dict(self) -> dict[str, Any]:
        """In both languages: what the recorder hands `check` over its socket."""
        return {
            "id": self.id,
            "title": _text(self.title),
            "status": self.status,
            "points": self.points,
            "max_points": self.max_points,
            "message": _text(self.message),
            "hint": _text(self.hint),
            "proven": self.proven,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> StepResult:
        if d["status"] not in (PASS, FAIL, PENDING):
            raise ValueError(f"unknown step status {d['status']!r}")
        return cls(
            str(d["id"]),
            _untext(d["title"]),
            str(d["status"]),
            int(d["points"]),
            int(d["max_points"]),
            _untext(d["message"]),
            _untext(d["hint"]) if d["hint"] else None,
            str(d.get("proven", "")),
        )

    def render(self, lang: str) -> dict[str, Any]:
        """In one language: what `check --json` prints."""
        d: dict[str, Any] = {
            "id": self.id,
            "title": self.title.get(lang),
            "status": self.status,
            "points": self.points,
            "max_points": self.max_points,
            "message": self.message.get(lang),
            "proven": self.proven,
        }
        if self.hint:
            d["hint"] = self.hint.get(lang)
        return d


@dataclass
class LabResult:
    """One learner's lab, graded: the one result model. `to_dict` is the wire format (both
    languages, so a client renders in its own); `render` and `to_junit` are one language's
    views of it, and the class gradebook keeps one per learner (classroom/gradebook.py)."""

    lab: str
    backend: str
    instance: str
    project: str
    snapshot: str
    steps: list[StepResult] = field(default_factory=list)
    notes: list[Text] = field(default_factory=list)
    started: str = ""  # when `start` began the lab on this instance (the journal's start entry)
    member: str = ""  # the cluster member the instance is on; "" when the daemon is no cluster

    def stamp(self, begun: datetime | None, proofs: Mapping[str, datetime]) -> None:
        """Keep the times the checks proved each passed step at (order.Chain): an
        instructor reads from them who is falling behind, not only who is done."""
        self.started = iso(begun)
        for s in self.steps:
            s.proven = iso(proofs.get(s.id)) if s.status == PASS else ""

    @property
    def score(self) -> int:
        return sum(s.points for s in self.steps)

    @property
    def max_score(self) -> int:
        return sum(s.max_points for s in self.steps)

    @property
    def complete(self) -> bool:
        return all(s.status == PASS for s in self.steps)

    def _who(self) -> dict[str, Any]:
        keys = ("lab", "backend", "instance", "project", "snapshot", "member")
        return {k: getattr(self, k) for k in keys}

    def to_dict(self) -> dict[str, Any]:
        return {
            **self._who(),
            "started": self.started,
            "notes": [_text(n) for n in self.notes],
            "steps": [s.to_dict() for s in self.steps],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> LabResult:
        """The inverse of to_dict; a dict not shaped so raises KeyError, TypeError or
        ValueError. The times may be missing: a recorder started before they existed still
        answers."""
        return cls(
            str(d["lab"]),
            str(d["backend"]),
            str(d["instance"]),
            str(d["project"]),
            str(d["snapshot"]),
            [StepResult.from_dict(s) for s in d["steps"]],
            [_untext(n) for n in d["notes"]],
            str(d.get("started", "")),
            str(d.get("member", "")),
        )

    def render(self, lang: str) -> dict[str, Any]:
        return {
            **self._who(),
            "started": self.started,
            "score": self.score,
            "max_score": self.max_score,
            "complete": self.complete,
            "notes": [n.get(lang) for n in self.notes],
            "steps": [s.render(lang) for s in self.steps],
        }

    def to_junit(self, lang: str = "en") -> str:
        from snaplab import junit  # here: ElementTree would cost `check`'s socket path ~8 ms

        suite = junit.suite(
            [
                (k, getattr(self, k))
                for k in ("score", "max_score", "instance", "project", "snapshot")
            ],
            name=f"snaplab.{self.lab}.{self.backend}",
            **junit.counts([s.status for s in self.steps]),
        )
        for s in self.steps:
            hint = s.hint.get(lang) if s.hint else ""
            points = f"{s.points}/{s.max_points}"
            junit.case(suite, self.lab, s.id, s.status, s.message.get(lang), hint, points)
        return junit.render(suite)
