"""`snaplab grade LAB`: the final grade, as JUnit XML and JSON for gradebooks and CI."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from snaplab.commands.check import CheckResult
from snaplab.commands.common import add_lab, lab_session
from snaplab.i18n import detect


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "grade",
        help="final grade with points per step; --junit/--json files",
        description="Grade like `check`, then write the result as JUnit XML (one test case per "
        "step) and/or JSON. Exit 0 when every step passes.",
    )
    add_lab(p, json_flag=False)
    p.add_argument("--junit", metavar="FILE", type=Path, help="write JUnit XML here")
    p.add_argument(
        "--json", metavar="FILE", type=Path, dest="json_file", help="write the JSON result here"
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> CheckResult:
    from snaplab.lab.runner import check

    lab, session = lab_session(args)
    lang = detect(getattr(args, "lang", None))
    result = check(lab, session)
    if args.junit:
        args.junit.write_text(result.to_junit(lang), encoding="utf-8")
    if args.json_file:
        args.json_file.write_text(
            json.dumps(result.render(lang), ensure_ascii=False, indent=2), encoding="utf-8"
        )
    return CheckResult(result, lang)
