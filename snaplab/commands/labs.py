"""`snaplab labs`: what can be practised here."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from snaplab.errors import ExitCode
from snaplab.lab.model import Lab, lab_ids, load


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
                }
                for lab in self.labs
            ]
        }

    def render(self, lang: str) -> str:
        def size(lab: Lab) -> str:
            n, points = len(lab.steps), lab.max_score
            return f"{n}단계, {points}점" if lang == "ko" else f"{n} steps, {points} points"

        width = max((len(lab.id) for lab in self.labs), default=0)  # the ids in one column
        return "\n".join(
            f"{lab.id:{width}} {lab.title.get(lang)} ({size(lab)})\n"
            f"{'':{width}} {lab.summary.get(lang)}"
            for lab in self.labs
        )


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("labs", help="list the labs", description="List the labs snaplab ships.")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> LabsResult:
    return LabsResult([load(i) for i in lab_ids()])
