"""`snaplab finish LAB`: remove what the lab made, and nothing else."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field

from snaplab import i18n
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
        help=i18n.helptext(
            "remove the lab's container, the copies made of it, and its records (only snaplab's)",
            "실습 컨테이너와 그 복사본, 실습 기록을 삭제(snaplab이 만든 것만)",
        ),
        description=i18n.helptext(
            "Stop recording and delete every instance that carries this run of the "
            "lab's label: the lab container and any copy made of it (or of one of its snapshots), "
            "on the daemon and the lab's other daemons, lifting the delete protection where it is "
            "set. Instances without that label are never touched. Safe to run again. What you "
            "made outside the daemons (a remote, a crontab line, a script) stays yours.",
            "기록을 멈추고, 이번 실습 실행의 레이블이 붙은 인스턴스를 모두 지웁니다. 실습 "
            "컨테이너와, 그 컨테이너(또는 그 스냅샷)에서 복사한 컨테이너가 모두 해당하며, 기본 "
            "데몬과 실습이 쓰는 다른 데몬 모두에서 지웁니다. 삭제 보호가 걸려 있으면 풀고 "
            "지웁니다. 그 레이블이 없는 인스턴스는 절대 건드리지 않습니다. 다시 실행해도 "
            "안전합니다. 데몬 밖에서 만든 것(원격, crontab 줄, 스크립트)은 여러분의 것으로 "
            "남습니다.",
        ),
    )
    add_lab(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> FinishResult:
    from snaplab.lab.runner import finish

    lab, session = lab_session(args)
    done = finish(lab, session)
    return FinishResult(lab.id, done.removed, done.left)
