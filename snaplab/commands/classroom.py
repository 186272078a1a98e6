"""`snaplab class setup|grade|teardown ROSTER`: an instructor's whole class at once."""

from __future__ import annotations

import argparse
import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from snaplab import i18n
from snaplab.backends import BACKENDS, NAMES
from snaplab.commands import classlive
from snaplab.commands.common import add_json
from snaplab.errors import ExitCode, SnaplabError
from snaplab.i18n import Text, both, detect

if TYPE_CHECKING:
    from snaplab.classroom.grade import ClassGrade
    from snaplab.classroom.projects import Done
    from snaplab.classroom.roster import Roster

ROSTER_HELP = i18n.helptext(
    "the class roster, CSV or YAML: id,name,target[,project,backend,instance]; target is "
    "`local` (a project on this host) or https://HOST:PORT (a learner's own host, added "
    "with `snaplab remote add`)",
    "수업 명단, CSV 또는 YAML: id,name,target[,project,backend,instance]. target은 "
    "`local`(이 호스트의 프로젝트) 또는 https://HOST:PORT(`snaplab remote add`로 추가한 "
    "학습자 자신의 호스트)",
)


EXAMPLE = i18n.helptext(
    """\
a class, start to end (ko101.csv: id,name,target  /  kim,김민지,local  /  lee,이서준,local):
  snaplab class setup ko101.csv      # projects ko101-kim, ko101-lee; tokens in access.csv
  snaplab class grade ko101.csv      # gradebook-ko101/: gradebook.csv .json, junit.xml, report.html
  snaplab class grade ko101.csv --only kim   # re-grade kim, keep everyone else's row
  snaplab class teardown ko101.csv   # only what setup made

exit codes: setup/teardown 0, or 8 if some learner's failed; grade 0 when every learner
graded in the run was graded (whatever the scores), 1 when some could not be; 2 bad roster
or option (nothing is touched); 3 daemon down.
""",
    """\
수업 하나를 처음부터 끝까지
(ko101.csv: id,name,target  /  kim,김민지,local  /  lee,이서준,local):
  snaplab class setup ko101.csv      # 프로젝트 ko101-kim, ko101-lee, 토큰은 access.csv에
  snaplab class grade ko101.csv      # gradebook-ko101/: gradebook.csv .json, junit.xml, report.html
  snaplab class grade ko101.csv --only kim   # kim만 다시 채점, 다른 학습자의 줄은 그대로
  snaplab class teardown ko101.csv   # setup이 만든 것만 삭제

종료 코드: setup/teardown은 0, 실패한 학습자가 있으면 8. grade는 이번에
채점하려던 학습자를 모두 채점했으면 점수와 상관없이 0, 채점하지 못한
학습자가 있으면 1. 명단이나 옵션이 잘못되면 2(아무것도 건드리지 않음),
데몬이 실행 중이 아니면 3.
""",
)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "class",
        epilog=EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        help=i18n.helptext(
            "instructors: set up, grade and tear down a whole class",
            "강사용: 수업 전체를 준비, 채점, 정리",
        ),
        description=i18n.helptext(
            "Run a class: `setup` makes a project per learner on this host with the "
            "lab started in it and a token that reaches only that project; `grade` grades every "
            "learner in one pass into a gradebook (CSV, JSON, JUnit XML, HTML); `teardown` "
            "removes only what setup made.",
            "수업을 운영합니다. `setup`은 이 호스트에 학습자마다 프로젝트를 만들어 실습을\n"
            "시작해 두고, 그 프로젝트에만 접근할 수 있는 토큰을 만듭니다. `grade`는 모든\n"
            "학습자를 한 번에 채점해 성적표(CSV, JSON, JUnit XML, HTML)로 모읍니다.\n"
            "`teardown`은 setup이 만든 것만 지웁니다.",
        ),
    )
    verbs = p.add_subparsers(dest="class_verb", metavar="ACTION", parser_class=type(p))
    verbs.required = True
    for name, verb_run, text in (
        (
            "setup",
            run_setup,
            i18n.helptext(
                "make each learner's project, token and lab; start recording",
                "학습자마다 프로젝트, 토큰, 실습을 만들고 기록을 시작",
            ),
        ),
        (
            "grade",
            run_grade,
            i18n.helptext(
                "grade every learner into a gradebook", "모든 학습자를 채점해 성적표에 기록"
            ),
        ),
        (
            "teardown",
            run_teardown,
            i18n.helptext(
                "remove what setup made, and nothing else",
                "setup이 만든 것만 삭제(다른 것은 건드리지 않음)",
            ),
        ),
    ):
        v = class_verb(verbs, name, text, EXAMPLE)
        v.add_argument(
            "--jobs",
            type=int,
            default=None,
            metavar="N",
            help=i18n.helptext(
                "learners handled at once (default: 16: each waits on the daemon)",
                "동시에 처리할 학습자 수 (기본값: 16, 대부분 데몬을 기다리는 시간이므로)",
            ),
        )
        add_json(v)
        v.set_defaults(run=verb_run)
    classlive.register(verbs, class_verb)  # serve, watch: the class live
    setup = verbs.choices["setup"]
    setup.add_argument(
        "--listen",
        default=None,
        metavar="ADDR:PORT",
        help=i18n.helptext(
            "where learners reach the host, if it does not listen yet (default: "
            + ", ".join(f"{b.listen} for {b.title}" for b in BACKENDS.values())
            + ")",
            "학습자가 호스트에 접속할 주소, 데몬이 아직 듣고 있는 주소가 없을 때 (기본값: "
            + ", ".join(f"{b.title}는 {b.listen}" for b in BACKENDS.values())
            + ")",
        ),
    )
    grade = verbs.choices["grade"]
    grade.add_argument(
        "--out",
        type=Path,
        default=None,
        help=i18n.helptext(
            "gradebook directory (default: gradebook-CLASS)",
            "성적표 디렉터리 (기본값: gradebook-CLASS)",
        ),
    )
    grade.add_argument(
        "--only",
        action="append",
        metavar="ID",
        help=i18n.helptext(
            "re-grade only this learner (repeatable) and merge into the existing gradebook",
            "이 학습자만 다시 채점해 기존 성적표에 합침(여러 번 쓸 수 있음)",
        ),
    )
    grade.add_argument(
        "--timeout",
        type=float,
        default=30.0,
        help=i18n.helptext(
            "seconds each request to a daemon may take (default: 30)",
            "데몬에 보내는 요청 하나에 허용하는 시간, 초 단위 (기본값: 30)",
        ),
    )


def class_verb(
    verbs: argparse._SubParsersAction, name: str, text: str, epilog: str
) -> argparse.ArgumentParser:
    """A `class` verb with what every one of them takes: the roster and how to read it."""
    v = verbs.add_parser(
        name,
        help=text,
        description=text,
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    v.add_argument("roster", type=Path, help=ROSTER_HELP)
    v.add_argument(
        "--lab",
        default="snapshots",
        help=i18n.helptext("the lab (default: snapshots)", "실습 (기본값: snapshots)"),
    )
    v.add_argument(
        "--name",
        default=None,
        help=i18n.helptext(
            "class name (default: the roster's)", "수업 이름 (기본값: 명단에서 정해지는 이름)"
        ),
    )
    v.add_argument(
        "--backend",
        choices=NAMES,
        default=None,
        help=i18n.helptext(
            "backend for learners whose row names none (default: lxd)",
            "명단에 백엔드를 적지 않은 학습자의 백엔드 (기본값: lxd)",
        ),
    )
    v.add_argument(
        "--instance",
        default=None,
        help=i18n.helptext(
            "lab container for learners whose row names none (default: the lab's)",
            "명단에 컨테이너를 적지 않은 학습자의 실습 컨테이너 (기본값: 실습의 것)",
        ),
    )
    return v


def _load(args: argparse.Namespace) -> tuple[Any, Roster]:
    from snaplab.classroom import roster
    from snaplab.lab.model import load

    lab = load(args.lab)
    return lab, roster.load(
        args.roster, name=args.name, backend=args.backend, instance=args.instance or lab.instance
    )


def _jobs(args: argparse.Namespace) -> int:
    from snaplab.classroom import READS

    if args.jobs is not None and args.jobs < 1:
        raise SnaplabError(
            both("--jobs must be 1 or more", "--jobs는 1 이상이어야 합니다"), ExitCode.USAGE
        )
    return args.jobs or READS


TALLY = {
    "ok": "완료",
    "failed": "실패",
    "kept": "남김",
    "graded": "채점됨",
    "unreachable": "연결 불가",
}  # the progress tally's words, in Korean


class Progress:
    """A live line on a terminal; one line per learner in a log (CI, a pipe)."""

    def __init__(self, total: int, what: str, lang: str = "en") -> None:
        self.total, self.what, self.lang = total, what, lang
        self.counts: dict[str, int] = {}
        self.n = 0
        self.tty = sys.stderr.isatty()
        self.began = time.monotonic()

    def add(self, status: str, line: str | Text) -> None:
        self.n += 1
        self.counts[status] = self.counts.get(status, 0) + 1
        words = TALLY if self.lang == "ko" else {}
        tally = " · ".join(f"{words.get(k, k)} {v}" for k, v in sorted(self.counts.items()))
        if isinstance(line, Text):
            line = line.get(self.lang)
        if self.tty:
            width = 24
            bar = "#" * (width * self.n // self.total)
            sys.stderr.write(f"\r{self.what} [{bar:<{width}}] {self.n}/{self.total} {tally}  ")
            if self.n == self.total:
                sys.stderr.write("\n")
        else:
            sys.stderr.write(f"{self.what} {self.n}/{self.total} {line} ({tally})\n")
        sys.stderr.flush()


# -- setup / teardown -----------------------------------------------------------


@dataclass
class ClassResult:
    verb: str
    roster: Roster
    done: list[Done]
    notes: list[Text] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)

    @property
    def code(self) -> ExitCode:
        return ExitCode.SETUP_FAILED if any(d.error for d in self.done) else ExitCode.OK

    def to_dict(self) -> dict[str, Any]:
        return {
            "class": self.roster.name,
            "verb": self.verb,
            "learners": [d.to_dict() for d in self.done],
            "notes": [n.en for n in self.notes],
            "files": [str(f) for f in self.files],
        }

    def render(self, lang: str) -> str:
        ko = lang == "ko"
        lines = [f"{'수업' if ko else 'class'} {self.roster.name}: {self.verb}"]
        for d in self.done:
            did = ", ".join(a.get(lang) for a in d.actions)
            what = "; ".join(x for x in (did, d.kept.get(lang)) if x)
            what = what or ("할 일 없음" if ko else "nothing to do")
            if ko:
                mark = "실패" if d.error else "남김" if d.kept else "완료"
            else:
                mark = "FAILED" if d.error else "KEPT" if d.kept else "ok"
            lines.append(f"  {mark:6} {d.id:16} {d.error.get(lang) if d.error else what}")
        lines += [f"  {n.get(lang)}" for n in self.notes]
        return "\n".join(lines)


def run_setup(args: argparse.Namespace) -> ClassResult:
    from snaplab.classroom import setup

    lab, roster = _load(args)
    jobs = _jobs(args)  # every usage error before the daemon is touched
    progress = Progress(len(roster.learners), "setup", detect(getattr(args, "lang", None)))
    done, notes, files = setup.setup(
        lab,
        roster,
        jobs,
        args.listen,
        lambda d: progress.add("failed" if d.error else "ok", f"{d.id}: " + _outcome(d)),
    )
    return ClassResult("setup", roster, done, notes, files)


def _outcome(d: Done) -> Text:
    """One learner's progress line: what went wrong or was kept, else ok."""
    return d.error or d.kept or both("ok", "완료")


def run_teardown(args: argparse.Namespace) -> ClassResult:
    from snaplab.classroom import setup

    lab, roster = _load(args)
    jobs = _jobs(args)
    progress = Progress(len(roster.learners), "teardown", detect(getattr(args, "lang", None)))
    done, notes = setup.teardown(
        lab,
        roster,
        jobs,
        lambda d: progress.add(
            "failed" if d.error else "kept" if d.kept else "ok", f"{d.id}: " + _outcome(d)
        ),
    )
    return ClassResult("teardown", roster, done, notes)


# -- grade ------------------------------------------------------------------------


def run_grade(args: argparse.Namespace) -> ClassGrade:
    from snaplab.classroom import listing

    lab, roster = _load(args)
    lang = detect(getattr(args, "lang", None))
    out = args.out or Path(f"gradebook-{roster.name}")
    jobs = _jobs(args)
    if not (args.timeout > 0 and math.isfinite(args.timeout)):
        raise SnaplabError(
            both(
                "--timeout must be a number of seconds above 0",
                "--timeout은 0보다 큰 초 단위 숫자여야 합니다",
            ),
            ExitCode.USAGE,
        )
    learners = list(roster.learners)
    old = None
    if args.only:
        from snaplab.classroom.grade import earlier_book

        learners = [roster.get(i) for i in dict.fromkeys(args.only)]
        old = earlier_book(out)
    # the daemons list the class while the grader loads: a second for 200 on LXD 5.0.2
    asked = listing.ask(learners, args.timeout)
    from snaplab.classroom import grade

    progress = Progress(len(learners), "grade", lang)
    return grade.grade_class(
        lab,
        roster,
        learners,
        old,
        out,
        lang,
        jobs,
        args.timeout,
        lambda r: progress.add(
            r.status,
            f"{r.id}: "
            + (f"{r.score}/{r.max_score}" if r.score is not None else r.reason.get(lang)),
        ),
        asked,
    )
