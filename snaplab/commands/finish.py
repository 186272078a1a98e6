"""`snaplab finish LAB`: remove what the lab made, and nothing else."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field

from snaplab.commands.common import add_lab, lab_session
from snaplab.errors import ExitCode
from snaplab.i18n import Text


@dataclass
class FinishResult:
    lab: str
    removed: list[str] = field(default_factory=list)
    left: list[tuple[str, Text]] = field(default_factory=list)  # declared, not this run's
    code: ExitCode = ExitCode.OK

    def to_dict(self) -> dict:
        return {
            "lab": self.lab,
            "removed": self.removed,
            "left": [{"name": n, "why": {"en": t.en, "ko": t.ko}} for n, t in self.left],
        }

    def render(self, lang: str) -> str:
        if not self.removed:
            said = "정리할 것이 없습니다" if lang == "ko" else "nothing to remove"
        else:
            names = ", ".join(self.removed)
            said = f"삭제함: {names}" if lang == "ko" else f"removed: {names}"
        return "\n".join([said, *(why.get(lang) for _, why in self.left)])


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "finish",
        help="remove the lab's container, the copies made of it, and its records (only snaplab's)",
        description="Stop recording and delete every instance that carries this run of the "
        "lab's label: the lab container and any copy made of it (or of one of its snapshots), "
        "on the daemon and the lab's other daemons, lifting the delete protection where it is "
        "set. Instances without that label are never touched. Safe to run again. What you "
        "made outside the daemons (a remote, a crontab line, a script) stays yours.",
    )
    add_lab(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> FinishResult:
    from snaplab.lab.runner import finish

    lab, session = lab_session(args)
    done = finish(lab, session)
    return FinishResult(lab.id, done.removed, done.left)
