"""`snaplab labs [new ID | lint ID]`: what can be practised here, and an author's two tools."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path

from snaplab import i18n
from snaplab.commands.common import add_json
from snaplab.errors import ExitCode
from snaplab.lab.model import Lab, lab_ids, load
from snaplab.lab.packs import BUILT_IN


@dataclass
class LabsResult:
    labs: list[Lab]
    code: ExitCode = ExitCode.OK

    def to_dict(self) -> dict:
        return {
            "labs": [
                {
                    "id": lab.id,
                    "title": lab.title.en,
                    "title_ko": lab.title.ko,
                    "steps": len(lab.steps),
                    "max_score": lab.max_score,
                    "origin": lab.origin,
                    "home": str(lab.home),
                }
                for lab in self.labs
            ]
        }

    def render(self, lang: str) -> str:
        def size(lab: Lab) -> str:
            n, points = len(lab.steps), lab.max_score
            return f"{n}단계, {points}점" if lang == "ko" else f"{n} steps, {points} points"

        def origin(lab: Lab) -> str:
            if lab.origin == BUILT_IN:
                return "기본 제공" if lang == "ko" else "built in"
            return f"{lab.home} ({lab.origin})"

        width = max((len(lab.id) for lab in self.labs), default=0)  # the ids in one column
        where = "출처" if lang == "ko" else "from"
        return "\n".join(
            f"{lab.id:{width}} {lab.title.get(lang)} ({size(lab)})\n"
            f"{'':{width}} {lab.summary.get(lang)}\n"
            f"{'':{width}} {where}: {origin(lab)}"
            for lab in self.labs
        )


@dataclass
class NewResult:
    lab: str
    folder: Path
    made: list[Path] = field(default_factory=list)
    code: ExitCode = ExitCode.OK

    def to_dict(self) -> dict:
        return {"lab": self.lab, "pack": str(self.folder), "made": [str(p) for p in self.made]}

    def render(self, lang: str) -> str:
        files = "\n".join(f"  {p}" for p in self.made)
        pack, lab = self.folder, self.lab
        if lang == "ko":
            return (
                f"{lab} 실습을 만들었습니다:\n{files}\n다음 단계:\n"
                f"  export SNAPLAB_PATH={pack}\n  snaplab labs lint {lab}\n"
                f"  snaplab start {lab} && snaplab solve {lab} && snaplab check {lab}\n"
                f"  pytest {pack}/tests"
            )
        return (
            f"made the lab {lab}:\n{files}\nnext:\n"
            f"  export SNAPLAB_PATH={pack}\n  snaplab labs lint {lab}\n"
            f"  snaplab start {lab} && snaplab solve {lab} && snaplab check {lab}\n"
            f"  pytest {pack}/tests"
        )


@dataclass
class LintResult:
    lab: str
    path: Path
    errors: list[str] = field(default_factory=list)

    @property
    def code(self) -> ExitCode:
        return ExitCode.LAB_INVALID if self.errors else ExitCode.OK

    def to_dict(self) -> dict:
        return {"lab": self.lab, "path": str(self.path), "errors": self.errors}

    def render(self, lang: str) -> str:
        """The errors name fields of lab.yaml, for its author: in the schema's words."""
        if not self.errors:
            return f"{self.path}: 문제 없음" if lang == "ko" else f"{self.path}: no problems found"
        head = (
            f"{self.path}: 오류 {len(self.errors)}개"
            if lang == "ko"
            else f"{self.path}: {len(self.errors)} error{'s' if len(self.errors) > 1 else ''}"
        )
        return "\n".join([head, *(f"  {e}" for e in self.errors)])


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "labs",
        help=i18n.helptext(
            "list the labs; make a new one (new), check one (lint)",
            "실습 목록 보기, 새 실습 만들기(new), 실습 검사(lint)",
        ),
        description=i18n.helptext(
            "List the labs snaplab knows: its own, those in the folders of "
            "SNAPLAB_PATH (DIR[:DIR...], each laid out as labs/<id>/lab.yaml and "
            "checks/test_<id>.py), and installed packs (entry point group snaplab.labs).",
            "snaplab이 아는 실습을 나열합니다: 기본 제공 실습, SNAPLAB_PATH의 폴더"
            "(DIR[:DIR...], 폴더마다 labs/<id>/lab.yaml과 checks/test_<id>.py 구조)에 있는 "
            "실습, 설치된 팩(진입점 그룹 snaplab.labs)의 실습입니다.",
        ),
    )
    add_json(p)
    p.set_defaults(run=run)
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    new = actions.add_parser(
        "new",
        help=i18n.helptext(
            "make a lab that works as made, to edit",
            "고쳐 나갈 출발점으로, 만든 그대로 동작하는 실습 만들기",
        ),
        description=i18n.helptext(
            "Write a two-step lab into a pack folder: labs/ID/lab.yaml, its checks "
            "and its tests. As made, it lints clean, starts, and solve gives full marks on "
            "both daemons. Nothing is overwritten.",
            "팩 폴더에 두 단계짜리 실습을 씁니다: labs/ID/lab.yaml과 그 검사, 테스트입니다. "
            "만든 그대로 lint를 통과하고, 시작할 수 있으며, 두 데몬 모두에서 solve로 만점을 "
            "받습니다. 기존 파일은 덮어쓰지 않습니다.",
        ),
    )
    new.add_argument(
        "id",
        metavar="ID",
        help=i18n.helptext(
            "the new lab's id: lower-case letters, digits, -",
            "새 실습의 id: 영문 소문자, 숫자, -",
        ),
    )
    new.add_argument(
        "--dir",
        type=Path,
        default=Path("."),
        help=i18n.helptext("the pack folder (default: this one)", "팩 폴더 (기본값: 현재 폴더)"),
    )
    add_json(new)
    new.set_defaults(run=run_new)
    lint = actions.add_parser(
        "lint",
        help=i18n.helptext(
            "report every error of a lab at once (exit 7), touching no daemon",
            "실습의 모든 오류를 한 번에 보고(종료 코드 7), 데몬에는 접근하지 않음",
        ),
        description=i18n.helptext(
            "Check a lab's file against the schema, its checks (one per step), and "
            "the names its texts, commands and recorded requests use, and report them all.",
            "실습 파일을 스키마와 대조하고, 검사(단계마다 하나)와, 안내 문구·명령·기록할 "
            "요청에 쓰인 이름을 확인하여 찾은 오류를 모두 보고합니다.",
        ),
    )
    lint.add_argument(
        "id",
        metavar="ID",
        help=i18n.helptext(
            "a lab snaplab knows (see SNAPLAB_PATH)", "snaplab이 아는 실습 (SNAPLAB_PATH 참고)"
        ),
    )
    add_json(lint)
    lint.set_defaults(run=run_lint)


def run(args: argparse.Namespace) -> LabsResult:
    return LabsResult([load(i) for i in lab_ids()])


def run_new(args: argparse.Namespace) -> NewResult:
    from snaplab.lab.scaffold import new

    folder = args.dir.resolve()
    return NewResult(args.id, folder, new(args.id, folder))


def run_lint(args: argparse.Namespace) -> LintResult:
    from snaplab.lab.lint import lint

    return LintResult(args.id, *lint(args.id))
