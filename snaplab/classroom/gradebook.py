"""A class's results as plain, language-resolved data, written in four formats.

Results are resolved to one language when graded so the gradebook round-trips
through JSON: a rerun with `--only` reads the book back, merges the fresh
learners into it and rewrites every format from that one source.
"""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2

from snaplab import junit
from snaplab.errors import ExitCode, SnaplabError
from snaplab.i18n import Text
from snaplab.lab.results import FAIL, PASS, PENDING, LabResult, iso

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


def now() -> str:
    return iso(datetime.now(UTC))


def minutes(started: str, proven: str) -> float | None:
    """How long the learner took to reach a step, from their start: who is falling behind."""
    if not (started and proven):
        return None
    elapsed = datetime.fromisoformat(proven) - datetime.fromisoformat(started)
    return round(elapsed.total_seconds() / 60, 1)


@dataclass
class StepRow:
    id: str
    status: str  # pass | fail | pending
    points: int
    max_points: int
    message: str
    hint: str = ""
    proven: str = ""  # RFC 3339 UTC; "" when not proven (or graded before times were kept)
    minutes: float | None = None  # from the learner's start to `proven`


@dataclass
class LearnerResult:
    id: str
    name: str
    target: str
    project: str
    backend: str
    instance: str
    status: str  # graded | failed | unreachable
    reason: str = ""  # why not graded; empty when graded
    score: int | None = None  # None, never 0, when we could not grade: 0 is a mark
    max_score: int | None = None
    steps: list[StepRow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    graded_at: str = ""  # RFC 3339 UTC
    snapshot: str = ""  # the snapshot name as the learner typed it (any name will do)
    started: str = ""  # RFC 3339 UTC: when `start` began the lab, the steps' minutes count from

    @property
    def complete(self) -> bool:
        return self.status == GRADED and all(s.status == PASS for s in self.steps)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> LearnerResult:
        return cls(**{**d, "steps": [StepRow(**s) for s in d.get("steps", [])]})

    @classmethod
    def from_lab(
        cls, learner: dict[str, str], result: LabResult, lang: str, seconds: float
    ) -> LearnerResult:
        steps = [
            StepRow(
                s.id, s.status, s.points, s.max_points, s.message.get(lang),
                s.hint.get(lang) if s.hint else "", s.proven, minutes(result.started, s.proven),
            )
            for s in result.steps
        ]  # fmt: skip
        return cls(
            *_who(learner),
            status=GRADED,
            score=result.score,
            max_score=result.max_score,
            steps=steps,
            notes=[n.get(lang) for n in result.notes],
            seconds=round(seconds, 3),
            graded_at=now(),
            snapshot=result.snapshot,
            started=result.started,
        )

    @classmethod
    def not_graded(
        cls, learner: dict[str, str], status: str, reason: str, seconds: float
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

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Gradebook:
        return cls(**{**d, "learners": [LearnerResult.from_dict(x) for x in d["learners"]]})

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
    for r in book.learners:
        by_id = {s.id: s for s in r.steps}
        graded = r.status == GRADED
        cells = [by_id[i].points if i in by_id else "" for i in ids] if graded else [""] * len(ids)
        times = [_cell(by_id[i].minutes if i in by_id else None) for i in ids]
        total = r.score if r.score is not None else ""
        max_ = r.max_score if r.max_score is not None else book.max_score
        row = [r.status, r.reason, *cells, total, max_, r.started, *times]
        w.writerow([getattr(r, k) for k in WHO] + row)
    return out.getvalue()


def _cell(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def to_junit(book: Gradebook) -> str:
    return junit.render(
        junit.suites(
            f"snaplab.{book.class_name}.{book.lab}", [_suite(book.lab, r) for r in book.learners]
        )
    )


def _suite(lab: str, r: LearnerResult) -> ET.Element:
    """One learner's suite: their steps, or one error saying why they were not graded."""
    graded = r.status == GRADED
    count = junit.counts([s.status for s in r.steps])
    suite = junit.suite(
        [(key, getattr(r, key)) for key in (*WHO[1:], "snapshot", "score", "max_score")],
        name=r.id,
        tests=count["tests"] if graded else "1",
        failures=count["failures"],
        errors=str(int(not graded)),
        skipped=count["skipped"],
        time=f"{r.seconds:.3f}",
        timestamp=r.graded_at,
    )
    if not graded:
        junit.error(suite, lab, "grading", r.status, r.reason)
    for s in r.steps if graded else []:
        junit.case(suite, lab, s.id, s.status, s.message, s.hint)
    return suite


def to_html(book: Gradebook) -> str:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent),
        autoescape=True,
        undefined=jinja2.StrictUndefined,  # a missing label fails loudly, never renders blank
    )
    rows = [(r, {s.id: s for s in r.steps}) for r in book.learners]
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
