"""A class's results: each learner's graded lab (lab/results.py), written in four formats.

A learner's result keeps both languages; each format renders the book in its language
(`Gradebook.rows`), and gradebook.json is that rendering. A rerun with `--only` reads the
book back (its texts then in the book's one language), merges the fresh learners into it
and rewrites every format from that one source.
"""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2

from snaplab import junit
from snaplab.errors import ExitCode, SnaplabError
from snaplab.i18n import Text, same
from snaplab.lab.results import FAIL, PASS, PENDING, LabResult, StepResult, iso

GRADED, FAILED, UNREACHABLE = "graded", "failed", "unreachable"

FILES = {
    "csv": "gradebook.csv",
    "json": "gradebook.json",
    "junit": "junit.xml",
    "html": "report.html",
}

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "gradebook": "Gradebook", "class": "Class", "lab": "Lab", "generated": "Generated",
        "learner": "Learner", "name": "Name", "target": "Target", "status": "Status",
        "total": "Total", "reason": "Reason", "graded": "graded", "complete": "complete",
        "failed": "failed", "unreachable": "unreachable", "minutes": "min",
        "times": "Times are the minutes from each learner's start until the step was proven.",
    },
    "ko": {
        "gradebook": "성적표", "class": "수업", "lab": "실습", "generated": "생성 시각",
        "learner": "학습자", "name": "이름", "target": "대상", "status": "상태",
        "total": "합계", "reason": "사유", "graded": "채점됨", "complete": "완료",
        "failed": "실패", "unreachable": "연결 불가", "minutes": "분",
        "times": "시간(분)은 학습자가 실습을 시작한 뒤 각 단계가 확인되기까지 걸린 시간입니다.",
    },
}  # fmt: skip

WHO = ("id", "name", "target", "project", "backend", "instance")  # who a row is, in CSV order
MARKS = {PASS: "✓", FAIL: "✗", PENDING: "·"}
NOTHING = same("")


def now() -> str:
    return iso(datetime.now(UTC))


def minutes(started: str, proven: str) -> float | None:
    """How long the learner took to reach a step, from their start: who is falling behind."""
    if not (started and proven):
        return None
    elapsed = datetime.fromisoformat(proven) - datetime.fromisoformat(started)
    return round(elapsed.total_seconds() / 60, 1)


@dataclass
class LearnerResult:
    """One learner of the class and their graded lab (the one result model, LabResult), or
    why they could not be graded. The texts stay in both languages until a view renders
    them, so the dashboard shows each learner in the reader's language from one grade."""

    id: str
    name: str
    target: str
    project: str
    backend: str
    instance: str
    status: str  # graded | failed | unreachable
    reason: Text = NOTHING  # why not graded; empty when graded
    result: LabResult | None = None  # when graded
    seconds: float = 0.0
    graded_at: str = ""  # RFC 3339 UTC

    @property
    def steps(self) -> list[StepResult]:
        return self.result.steps if self.result else []

    @property
    def score(self) -> int | None:
        """None, never 0, when we could not grade: 0 is a mark."""
        return self.result.score if self.result and self.status == GRADED else None

    @property
    def max_score(self) -> int | None:
        return self.result.max_score if self.result and self.status == GRADED else None

    @property
    def complete(self) -> bool:
        return self.status == GRADED and all(s.status == PASS for s in self.steps)

    def render(self, lang: str) -> dict[str, Any]:
        """The gradebook's row in one language: gradebook.json's shape, and each step's
        minutes from the learner's start."""
        r = self.result
        started = r.started if r else ""
        steps = [
            {
                "id": s.id, "status": s.status, "points": s.points, "max_points": s.max_points,
                "message": s.message.get(lang), "hint": s.hint.get(lang) if s.hint else "",
                "proven": s.proven, "minutes": minutes(started, s.proven),
            }
            for s in self.steps
        ]  # fmt: skip
        return {
            **{k: getattr(self, k) for k in WHO},
            "status": self.status,
            "reason": self.reason.get(lang),
            "score": self.score,
            "max_score": self.max_score,
            "complete": self.complete,
            "steps": steps,
            "notes": [n.get(lang) for n in r.notes] if r else [],
            "seconds": self.seconds,
            "graded_at": self.graded_at,
            "snapshot": r.snapshot if r else "",
            "member": r.member if r else "",
            "started": started,
        }

    @classmethod
    def from_row(cls, d: dict[str, Any]) -> LearnerResult:
        """A row of gradebook.json back, for an `--only` run to merge into: its texts are in
        the book's one language, and stay so."""
        result = None
        if d["status"] == GRADED:
            steps = [
                StepResult(
                    s["id"], same(s["id"]), s["status"], int(s["points"]), int(s["max_points"]),
                    same(s["message"]), same(s["hint"]) if s.get("hint") else None,
                    s.get("proven", ""),
                )
                for s in d.get("steps", [])
            ]  # fmt: skip
            result = LabResult(
                "", d["backend"], d["instance"], d["project"], d.get("snapshot", ""), steps,
                [same(n) for n in d.get("notes", [])], d.get("started", ""), d.get("member", ""),
            )  # fmt: skip
        return cls(
            *_who(d),
            status=d["status"],
            reason=same(d.get("reason", "")),
            result=result,
            seconds=float(d.get("seconds", 0.0)),
            graded_at=d.get("graded_at", ""),
        )

    @classmethod
    def graded(cls, learner: dict[str, str], result: LabResult, seconds: float) -> LearnerResult:
        return cls(
            *_who(learner), status=GRADED, result=result, seconds=round(seconds, 3), graded_at=now()
        )

    @classmethod
    def not_graded(
        cls, learner: dict[str, str], status: str, reason: Text, seconds: float
    ) -> LearnerResult:
        if status not in (FAILED, UNREACHABLE):
            raise ValueError(f"not_graded needs {FAILED!r} or {UNREACHABLE!r}, not {status!r}")
        return cls(
            *_who(learner), status=status, reason=reason, seconds=round(seconds, 3), graded_at=now()
        )


def _who(learner: dict[str, str]) -> tuple[str, str, str, str, str, str]:
    """The six fields in WHO order, typed so the dataclass call stays checked."""
    id, name, target, project, backend, instance = (learner[k] for k in WHO)
    return id, name, target, project, backend, instance


@dataclass
class Gradebook:
    class_name: str
    lab: str
    steps: list[dict[str, Any]]  # {"id", "title", "max_points"} in lab order
    learners: list[LearnerResult]  # roster order
    lang: str = "en"
    generated_at: str = ""

    @property
    def max_score(self) -> int:
        return sum(int(s["max_points"]) for s in self.steps)

    def rows(self) -> list[dict[str, Any]]:
        """Every learner in the book's language: what each format writes."""
        return [r.render(self.lang) for r in self.learners]

    def to_dict(self) -> dict[str, Any]:
        """gradebook.json: the book rendered in its language."""
        return {
            "class_name": self.class_name,
            "lab": self.lab,
            "steps": self.steps,
            "learners": self.rows(),
            "lang": self.lang,
            "generated_at": self.generated_at,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Gradebook:
        return cls(**{**d, "learners": [LearnerResult.from_row(x) for x in d["learners"]]})

    def merge(self, fresh: list[LearnerResult]) -> Gradebook:
        """Replace only the regraded learners, so a `--only` rerun never loses anyone else's mark."""
        by_id = {r.id: r for r in fresh}
        learners = [by_id.pop(r.id, r) for r in self.learners]
        return replace(self, learners=learners + list(by_id.values()), generated_at=now())

    def counts(self) -> dict[str, int]:
        c = {GRADED: 0, FAILED: 0, UNREACHABLE: 0, "complete": 0}
        for r in self.learners:
            c[r.status] = c.get(r.status, 0) + 1
            c["complete"] += r.complete
        return c


def to_csv(book: Gradebook) -> str:
    """Not-graded rows leave step cells and total empty: a spreadsheet must not average in a 0.
    The times follow `max` (each step's minutes from the learner's start, empty until proven),
    so the columns a spreadsheet already reads stay where they were."""
    out = io.StringIO()
    w = csv.writer(out)
    ids = [s["id"] for s in book.steps]
    w.writerow(
        [*WHO, "status", "reason", *ids, "total", "max", "started", *(f"{i} min" for i in ids)]
    )
    for r in book.rows():
        by_id = {s["id"]: s for s in r["steps"]}
        graded = r["status"] == GRADED
        cells = (
            [by_id[i]["points"] if i in by_id else "" for i in ids] if graded else [""] * len(ids)
        )
        times = [_cell(by_id[i]["minutes"] if i in by_id else None) for i in ids]
        total = r["score"] if r["score"] is not None else ""
        max_ = r["max_score"] if r["max_score"] is not None else book.max_score
        row = [r["status"], r["reason"], *cells, total, max_, r["started"], *times]
        w.writerow([r[k] for k in WHO] + row)
    return out.getvalue()


def _cell(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def to_junit(book: Gradebook) -> str:
    return junit.render(
        junit.suites(
            f"snaplab.{book.class_name}.{book.lab}", [_suite(book.lab, r) for r in book.rows()]
        )
    )


def _suite(lab: str, r: dict[str, Any]) -> ET.Element:
    """One learner's suite (a row, see LearnerResult.render): their steps, or one error
    saying why they were not graded."""
    graded = r["status"] == GRADED
    count = junit.counts([s["status"] for s in r["steps"]])
    suite = junit.suite(
        [(key, r[key]) for key in (*WHO[1:], "snapshot", "score", "max_score")],
        name=r["id"],
        tests=count["tests"] if graded else "1",
        failures=count["failures"],
        errors=str(int(not graded)),
        skipped=count["skipped"],
        time=f"{r['seconds']:.3f}",
        timestamp=r["graded_at"],
    )
    if not graded:
        junit.error(suite, lab, "grading", r["status"], r["reason"])
    for s in r["steps"] if graded else []:
        junit.case(suite, lab, s["id"], s["status"], s["message"], s["hint"])
    return suite


def to_html(book: Gradebook) -> str:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent),
        autoescape=True,
        undefined=jinja2.StrictUndefined,  # a missing label fails loudly, never renders blank
    )
    rows = [(r, {s["id"]: s for s in r["steps"]}) for r in book.rows()]
    return env.get_template("report.html.j2").render(
        book=book,
        rows=rows,
        counts=book.counts(),
        t=LABELS.get(book.lang, LABELS["en"]),
        marks=MARKS,
        graded=GRADED,
    )


def write(book: Gradebook, out_dir: Path) -> list[Path]:
    """Each file is replaced whole, so an interrupted run never leaves half a gradebook."""
    out_dir.mkdir(parents=True, exist_ok=True)
    bodies = {
        "csv": (to_csv(book), "utf-8-sig"),  # the BOM lets spreadsheets read Korean names
        "json": (json.dumps(book.to_dict(), ensure_ascii=False, indent=2) + "\n", "utf-8"),
        "junit": (to_junit(book), "utf-8"),
        "html": (to_html(book), "utf-8"),
    }
    paths = []
    for kind, (body, encoding) in bodies.items():
        path = out_dir / FILES[kind]
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(body, encoding=encoding, newline="")
        tmp.replace(path)
        paths.append(path)
    return paths


def read(out_dir: Path) -> Gradebook | None:
    path = out_dir / FILES["json"]
    if not path.is_file():
        return None
    try:
        return Gradebook.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, KeyError, TypeError) as e:  # bad JSON, or not our shape
        raise SnaplabError(
            Text(
                f"{path} is not a gradebook ({e.__class__.__name__}): remove it, or rerun without --only",
                f"{path}은(는) 성적표 파일이 아닙니다({e.__class__.__name__}): 파일을 지우거나 --only 없이 다시 실행하세요",
            ),
            ExitCode.USAGE,
        ) from e
