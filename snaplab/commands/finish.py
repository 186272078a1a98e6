"""`snaplab finish LAB`: remove what the lab made, and nothing else."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field

from snaplab.commands.common import add_lab, lab_session
from snaplab.errors import ExitCode


@dataclass
class FinishResult:
    lab: str
    removed: list[str] = field(default_factory=list)
    code: ExitCode = ExitCode.OK

    def to_dict(self) -> dict:
        return {"lab": self.lab, "removed": self.removed}

    def render(self, lang: str) -> str:
        if not self.removed:
            return "정리할 것이 없습니다" if lang == "ko" else "nothing to remove"
        names = ", ".join(self.removed)
        return f"삭제함: {names}" if lang == "ko" else f"removed: {names}"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "finish",
        help="remove the lab's own container and records (only snaplab's)",
        description="Stop recording and delete the lab container if, and only if, snaplab "
        "created it for this lab. Safe to run again.",
    )
    add_lab(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> FinishResult:
    from snaplab.lab.runner import finish

    lab, session = lab_session(args)
    return FinishResult(lab.id, finish(lab, session))
