"""A class graded into its gradebook: the recorders checked, every learner graded in one
pass, an `--only` run merged into the book it re-grades, every format written.

The CLI (commands/classroom.py) parses, shows progress and renders; what grading a class
means, so that `class grade` and anything else that grades a class do it alike, is here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from snaplab.classroom import gradebook, grading, listing, recording
from snaplab.classroom.gradebook import LABELS, Gradebook, LearnerResult
from snaplab.classroom.roster import Learner, Roster
from snaplab.errors import ExitCode, SnaplabError
from snaplab.i18n import Text, both
from snaplab.lab.model import Lab


@dataclass
class ClassGrade:
    book: Gradebook
    files: list[Path]
    fresh: list[LearnerResult]  # graded in this run (all, or those --only named)
    notes: list[Text] = field(default_factory=list)

    @property
    def code(self) -> ExitCode:
        """0 when every learner graded now was graded, whatever their score; 1 otherwise."""
        ok = all(r.status == "graded" for r in self.fresh)
        return ExitCode.OK if ok else ExitCode.NOT_PASSING

    def to_dict(self) -> dict[str, Any]:
        notes = [n.en for n in self.notes]
        return {**self.book.to_dict(), "files": [str(f) for f in self.files], "notes": notes}

    def render(self, lang: str) -> str:
        ko = lang == "ko"
        lines = []
        for r in self.book.learners:
            score = f"{r.score}/{r.max_score}" if r.score is not None else "-"
            status = LABELS[lang].get(r.status, r.status)
            lines.append(f"  {r.id:16} {score:>7}  {status:11} {r.reason.get(lang)}")
        c = self.book.counts()
        lines.append(
            (
                f"  채점 {c['graded']} · 완료 {c['complete']} · 실패 {c['failed']} · "
                f"연결 불가 {c['unreachable']}"
            )
            if ko
            else (
                f"  graded {c['graded']} · complete {c['complete']} · failed {c['failed']} · "
                f"unreachable {c['unreachable']}"
            )
        )
        lines += [f"  ! {n.get(lang)}" for n in self.notes]
        lines += [f"  {'파일' if ko else 'wrote'}: {f}" for f in self.files]
        return "\n".join(lines)


def earlier_book(out: Path) -> Gradebook:
    """The book an `--only` run merges into: refused before anyone is graded if missing."""
    old = gradebook.read(out)
    if old is None:
        raise SnaplabError(
            both(
                f"no gradebook in {out} to merge into: grade the whole class first "
                f"(without --only), or point --out at it",
                f"{out}에 합칠 성적표가 없습니다: 먼저 --only 없이 수업 전체를 채점하거나 "
                "--out으로 성적표가 있는 곳을 지정하세요",
            ),
            ExitCode.USAGE,
        )
    return old


def restart_recorders(lab: Lab, roster: Roster) -> list[Text]:
    """A recorder that died leaves steps unproven: restart it, and say so in the book."""
    started = recording.started(lab, roster)
    if all(recording.recorded(lab, learner) for learner in started):
        return []
    unrecorded = recording.record(lab, roster, started)
    notes = sorted(set(unrecorded.values()), key=lambda n: n.en)
    notes.append(
        both(
            "the class's event recorders had stopped and were restarted: steps done "
            "while they were down leave no evidence",
            "수업의 이벤트 기록기가 멈춰 있어 다시 시작했습니다: 멈춰 있는 동안 한 단계는 "
            "증거가 남지 않습니다",
        )
    )
    return notes


def grade_class(
    lab: Lab,
    roster: Roster,
    learners: list[Learner],
    old: Gradebook | None,
    out: Path,
    lang: str,
    jobs: int,
    timeout: float,
    progress: Callable[[LearnerResult], None],
    asked: listing.Asked | None = None,
) -> ClassGrade:
    notes = restart_recorders(lab, roster)
    results = grading.grade_all(lab, learners, jobs, timeout, progress, asked)
    steps = [{"id": s.id, "title": s.title.get(lang), "max_points": s.points} for s in lab.steps]
    book = Gradebook(roster.name, lab.id, steps, results, lang, gradebook.now())
    if old is not None:
        book = old.merge(results)
    return ClassGrade(book, gradebook.write(book, out), results, notes)
