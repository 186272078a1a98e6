"""`snaplab labs [new ID | lint ID]`: what can be practised here, and an author's two tools."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path

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
            else f"{self.path}: {len(self.errors)} errors"
        )
        return "\n".join([head, *(f"  {e}" for e in self.errors)])


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "labs",
        help="list the labs; make a new one (new), check one (lint)",
        description="List the labs snaplab knows: its own, those in the folders of "
        "SNAPLAB_PATH (DIR[:DIR...], each laid out as labs/<id>/lab.yaml and "
        "checks/test_<id>.py), and installed packs (entry point group snaplab.labs).",
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=run)
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    new = actions.add_parser(
        "new",
        help="make a lab that works as made, to edit",
        description="Write a two-step lab into a pack folder: labs/ID/lab.yaml, its checks "
        "and its tests. As made, it lints clean, starts, and solve gives full marks on "
        "both daemons. Nothing is overwritten.",
    )
    new.add_argument("id", metavar="ID", help="the new lab's id: lower-case letters, digits, -")
    new.add_argument(
        "--dir", type=Path, default=Path("."), help="the pack folder (default: this one)"
    )
    new.add_argument("--json", action="store_true")
    new.set_defaults(run=run_new)
    lint = actions.add_parser(
        "lint",
        help="report every error of a lab at once (exit 7), touching no daemon",
        description="Check a lab's file against the schema, its checks (one per step), and "
        "the names its texts, commands and recorded requests use, and report them all.",
    )
    lint.add_argument("id", metavar="ID", help="a lab snaplab knows (see SNAPLAB_PATH)")
    lint.add_argument("--json", action="store_true")
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
