"""`snaplab check LAB`: grade the steps done so far, and hint at the next one."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from snaplab import i18n
from snaplab.commands.common import add_lab, lab_session
from snaplab.errors import ExitCode
from snaplab.i18n import HINT
from snaplab.lab.results import FAIL, LabResult

MARK = {"pass": "PASS   ", "fail": "FAIL   ", "pending": "PENDING"}


@dataclass
class CheckResult:
    result: LabResult
    lang: str = "en"

    @property
    def code(self) -> ExitCode:
        return ExitCode.OK if self.result.complete else ExitCode.NOT_PASSING

    def to_dict(self) -> dict:
        return self.result.render(self.lang)

    def render(self, lang: str) -> str:
        r = self.result
        lines = [f"{r.lab} · {r.backend} · {r.instance}"]
        for i, s in enumerate(r.steps, 1):
            lines.append(
                f"  {MARK[s.status]} {i}. {s.title.get(lang)} "
                f"[{s.points}/{s.max_points}] {s.message.get(lang)}"
            )
            if s.status == FAIL and s.hint:
                lines.append(f"           {HINT.get(lang)}: {s.hint.get(lang)}")
        for note in r.notes:
            lines.append(f"  ! {note.get(lang)}")
        total = "점수" if lang == "ko" else "score"
        lines.append(f"  {total}: {r.score}/{r.max_score}")
        return "\n".join(lines)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "check",
        help=i18n.helptext(
            "grade the steps done so far (PASS/FAIL/PENDING, with a hint)",
            "지금까지 한 단계를 채점(PASS/FAIL/PENDING, 힌트 포함)",
        ),
        description=i18n.helptext(
            "Grade each step from evidence read from the daemon and the container. "
            "The first unfinished step gets a hint. Exit 0 when every step passes, 1 otherwise.",
            "데몬과 컨테이너에서 읽은 증거로 단계마다 채점합니다. 아직 마치지 않은 첫 단계에는 "
            "힌트를 보여 줍니다. 모든 단계를 통과하면 종료 코드는 0, 아니면 1입니다.",
        ),
    )
    add_lab(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> CheckResult:
    """The session's recorder grades when it answers (it has pylxd and pytest loaded, and
    loads the lab itself); otherwise this process does. Either way the same grade: see
    snaplab/lab/channel.py."""
    from snaplab.i18n import detect
    from snaplab.lab import channel
    from snaplab.lab.journal import quick_session

    lang = detect(getattr(args, "lang", None))
    quick = (
        None if args.remote else quick_session(args.lab, args.backend, args.instance, args.project)
    )
    answered = channel.check(quick) if quick is not None else None
    if answered is not None:
        return CheckResult(answered, lang)
    lab, session = lab_session(args)
    answered = channel.check(session) if session != quick else None
    if answered is not None:
        return CheckResult(answered, lang)
    from snaplab.lab.runner import check

    return CheckResult(check(lab, session), lang)
