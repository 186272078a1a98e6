"""`snaplab grade LAB`: the final grade, as JUnit XML and JSON for gradebooks and CI."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from snaplab import i18n
from snaplab.commands.check import CheckResult
from snaplab.commands.common import add_lab, lab_session
from snaplab.i18n import detect


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "grade",
        help=i18n.helptext(
            "final grade with points per step; --junit/--json files",
            "단계별 점수가 있는 최종 채점, --junit/--json 파일로 저장",
        ),
        description=i18n.helptext(
            "Grade like `check`, then write the result as JUnit XML (one test case per "
            "step) and/or JSON. Exit 0 when every step passes.",
            "`check`처럼 채점한 뒤 결과를 JUnit XML(단계마다 테스트 케이스 하나)이나 JSON, "
            "또는 둘 다로 씁니다. 모든 단계를 통과하면 종료 코드는 0입니다.",
        ),
    )
    add_lab(p, json_flag=False)
    p.add_argument(
        "--junit",
        metavar="FILE",
        type=Path,
        help=i18n.helptext("write JUnit XML here", "JUnit XML을 쓸 파일"),
    )
    p.add_argument(
        "--json",
        metavar="FILE",
        type=Path,
        dest="json_file",
        help=i18n.helptext("write the JSON result here", "JSON 결과를 쓸 파일"),
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
