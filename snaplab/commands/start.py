"""`snaplab start LAB`: create the lab container (or find it again) and begin recording."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from snaplab import i18n
from snaplab.commands.common import add_lab, lab_session
from snaplab.errors import ExitCode


@dataclass
class StartResult:
    lab: str
    backend: str
    instance: str
    shell: str
    code: ExitCode = ExitCode.OK

    def to_dict(self) -> dict:
        return {
            "lab": self.lab,
            "backend": self.backend,
            "instance": self.instance,
            "shell": self.shell,
        }

    def render(self, lang: str) -> str:
        """The shell only for a lab whose steps type into one (chapter 8's, not 9 and 10)."""
        if lang == "ko":
            shell = f" 컨테이너 셸: {self.shell}" if self.shell else ""
            return (
                f"{self.lab} 실습 준비 완료: {self.backend} 컨테이너 {self.instance}이(가) "
                f"실행 중입니다.\n단계마다 `snaplab check {self.lab}`로 확인하세요.{shell}"
            )
        shell = f" Shell: {self.shell}" if self.shell else ""
        return (
            f"lab {self.lab} ready: {self.backend} container {self.instance} is running.\n"
            f"Run `snaplab check {self.lab}` after each step.{shell}"
        )


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "start",
        help=i18n.helptext(
            "set up a lab: its container, labelled as snaplab's, and event recording",
            "실습 준비: snaplab의 레이블을 붙인 실습 컨테이너와 이벤트 기록",
        ),
        description=i18n.helptext(
            "Create and start the lab container from the lab image (or find the one "
            "this lab made before), protect it from deletion, and start recording the daemon's "
            "events as evidence. Safe to run again. A container of that name that snaplab did not "
            "create is never touched.",
            "실습 이미지로 실습 컨테이너를 만들어 시작하고(이 실습이 전에 만든 컨테이너가 있으면 "
            "그것을 찾고), 삭제 보호를 걸고, 데몬의 이벤트를 증거로 기록하기 시작합니다. 다시 "
            "실행해도 안전합니다. 같은 이름이라도 snaplab이 만들지 않은 컨테이너는 절대 건드리지 "
            "않습니다.",
        ),
    )
    add_lab(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> StartResult:
    from snaplab.lab.runner import open_session, start

    lab, session = lab_session(args)
    shell = start(lab, session, open_session(session))
    typed_into = any(c.shell for step in lab.steps for cmds in step.commands.values() for c in cmds)
    return StartResult(lab.id, session.backend, session.instance, shell if typed_into else "")
