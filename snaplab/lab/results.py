"""Grading results as plain data: what `check` prints, `grade` exports, and the class gradebook reuses."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from snaplab.i18n import Text
from snaplab.status import FAIL, PASS, PENDING

__all__ = [
    "FAIL", "PASS", "PENDING", "LabResult", "StepResult", "from_wire", "iso", "to_wire",
]  # fmt: skip


def iso(when: datetime | None) -> str:
    """A time as RFC 3339 UTC, "" for none: plain text survives JSON, CSV and the wire alike."""
    if when is None:
        return ""
    return when.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


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

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
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
    lab: str
    backend: str
    instance: str
    project: str
    snapshot: str
    steps: list[StepResult] = field(default_factory=list)
    notes: list[Text] = field(default_factory=list)
    started: str = ""  # when `start` began the lab on this instance (the journal's start entry)

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

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        return {
            "lab": self.lab,
            "backend": self.backend,
            "instance": self.instance,
            "project": self.project,
            "snapshot": self.snapshot,
            "started": self.started,
            "score": self.score,
            "max_score": self.max_score,
            "complete": self.complete,
            "notes": [n.get(lang) for n in self.notes],
            "steps": [s.to_dict(lang) for s in self.steps],
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


# The whole result in both languages, for the recorder to hand `check` over its socket:
# the client then renders, and exports JSON, exactly as if it had graded in-process.


def _text(t: Text | None) -> dict[str, str] | None:
    return {"en": t.en, "ko": t.ko} if t is not None else None


def _untext(d: dict[str, str]) -> Text:
    return Text(d["en"], d["ko"])


def to_wire(r: LabResult) -> dict[str, Any]:
    return {
        "lab": r.lab,
        "backend": r.backend,
        "instance": r.instance,
        "project": r.project,
        "snapshot": r.snapshot,
        "started": r.started,
        "notes": [_text(n) for n in r.notes],
        "steps": [
            {
                "id": s.id,
                "title": _text(s.title),
                "status": s.status,
                "points": s.points,
                "max_points": s.max_points,
                "message": _text(s.message),
                "hint": _text(s.hint),
                "proven": s.proven,
            }
            for s in r.steps
        ],
    }


def from_wire(d: dict[str, Any]) -> LabResult:
    """The inverse of to_wire; a reply not shaped so raises KeyError, TypeError or ValueError.
    The times may be missing: a recorder started before they existed still answers."""
    steps = [
        StepResult(
            str(s["id"]),
            _untext(s["title"]),
            str(s["status"]),
            int(s["points"]),
            int(s["max_points"]),
            _untext(s["message"]),
            _untext(s["hint"]) if s["hint"] else None,
            str(s.get("proven", "")),
        )
        for s in d["steps"]
    ]
    if any(s.status not in (PASS, FAIL, PENDING) for s in steps):
        raise ValueError("unknown step status")
    return LabResult(
        str(d["lab"]),
        str(d["backend"]),
        str(d["instance"]),
        str(d["project"]),
        str(d["snapshot"]),
        steps,
        [_untext(n) for n in d["notes"]],
        str(d.get("started", "")),
    )
