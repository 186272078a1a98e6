"""`snaplab class setup|grade|teardown ROSTER`: an instructor's whole class at once."""

from __future__ import annotations

import argparse
import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from snaplab.backends import BACKENDS, NAMES, get_backend
from snaplab.commands import classlive
from snaplab.errors import ExitCode, SnaplabError
from snaplab.i18n import Text, both, detect

if TYPE_CHECKING:
    from snaplab.classroom.gradebook import Gradebook, LearnerResult
    from snaplab.classroom.projects import Done
    from snaplab.classroom.roster import Roster

ROSTER_HELP = (
    "the class roster, CSV or YAML: id,name,target[,project,backend,instance]; target is "
    "`local` (a project on this host) or https://HOST:PORT (a learner's own host, added "
    "with `snaplab remote add`)"
)


EXAMPLE = """\
a class, start to end (ko101.csv: id,name,target  /  kim,김민지,local  /  lee,이서준,local):
  snaplab class setup ko101.csv      # projects ko101-kim, ko101-lee; tokens in access.csv
  snaplab class grade ko101.csv      # gradebook-ko101/: gradebook.csv .json, junit.xml, report.html
  snaplab class grade ko101.csv --only kim   # re-grade kim, keep everyone else's row
  snaplab class teardown ko101.csv   # only what setup made

exit codes: setup/teardown 0, or 8 if some learner's failed; grade 0 when every learner
graded in the run was graded (whatever the scores), 1 when some could not be; 2 bad roster
or option (nothing is touched); 3 daemon down.
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "class",
        epilog=EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        help="instructors: set up, grade and tear down a whole class",
        description="Run a class: `setup` makes a project per learner on this host with the "
        "lab started in it and a token that reaches only that project; `grade` grades every "
        "learner in parallel into a gradebook (CSV, JSON, JUnit XML, HTML); `teardown` "
        "removes only what setup made.",
    )
    verbs = p.add_subparsers(dest="class_verb", metavar="ACTION", parser_class=type(p))
    verbs.required = True
    for name, verb_run, text in (
        ("setup", run_setup, "make each learner's project, token and lab; start recording"),
        ("grade", run_grade, "grade every learner into a gradebook"),
        ("teardown", run_teardown, "remove what setup made, and nothing else"),
    ):
        v = class_verb(verbs, name, text, EXAMPLE)
        v.add_argument(
            "--jobs",
            type=int,
            default=None,
            metavar="N",
            help="learners handled at once (default: two per CPU core)",
        )
        v.add_argument("--json", action="store_true", help="machine-readable output")
        v.set_defaults(run=verb_run)
    classlive.register(verbs, class_verb)  # serve, watch: the class live
    setup = verbs.choices["setup"]
    setup.add_argument(
        "--listen",
        default=None,
        metavar="ADDR:PORT",
        help="where learners reach the host, if it does not listen yet (default: "
        + ", ".join(f"{b.listen} for {b.title}" for b in BACKENDS.values())
        + ")",
    )
    grade = verbs.choices["grade"]
    grade.add_argument(
        "--out", type=Path, default=None, help="gradebook directory (default: gradebook-CLASS)"
    )
    grade.add_argument(
        "--only",
        action="append",
        metavar="ID",
        help="re-grade only this learner (repeatable) and merge into the existing gradebook",
    )
    grade.add_argument(
        "--timeout", type=float, default=30.0, help="seconds per learner (default: 30)"
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
    v.add_argument("--lab", default="snapshots", help="the lab (default: snapshots)")
    v.add_argument("--name", default=None, help="class name (default: the roster's)")
    v.add_argument(
        "--backend",
        choices=NAMES,
        default=None,
        help="backend for learners whose row names none (default: lxd)",
    )
    v.add_argument(
        "--instance",
        default=None,
        help="lab container for learners whose row names none (default: the lab's)",
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
    from snaplab.classroom.grading import default_jobs

    if args.jobs is not None and args.jobs < 1:
        raise SnaplabError(
            both("--jobs must be 1 or more", "--jobs는 1 이상이어야 합니다"), ExitCode.USAGE
        )
    return args.jobs or default_jobs()


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
    import csv
    import os

    from snaplab.classroom import projects, recording

    lab, roster = _load(args)
    jobs = _jobs(args)  # every usage error before the daemon is touched
    lang = detect(getattr(args, "lang", None))
    progress = Progress(len(roster.learners), "setup", lang)
    notes = []
    for name in sorted({learner.backend for learner in roster.local()}):
        admin = projects.host_admin(name)
        where = projects.listen(roster, admin, args.listen or admin.backend.listen)
        title = admin.backend.title
        notes.append(
            both(
                f"learners reach this host's {title} at {where}",
                f"학습자는 이 호스트의 {title}에 {where}(으)로 접속합니다",
            )
        )
    done = projects.each(
        roster.learners,
        lambda learner: projects.setup_one(lab, roster, learner),
        jobs,
        lambda d: progress.add("failed" if d.error else "ok", f"{d.id}: " + _outcome(d)),
    )
    started = recording.started(lab, roster)
    if started:
        unrecorded = recording.record(lab, roster, started)
        for d in done:
            if d.id in unrecorded and not d.error:
                d.error = both("the lab runs, but ", "실습은 실행 중이지만 ") + unrecorded[d.id]
        n = len(started) - len(unrecorded)
        notes.append(
            both(
                f"recording {n} learner(s) until `snaplab class teardown`",
                f"`snaplab class teardown` 전까지 학습자 {n}명의 단계를 기록합니다",
            )
        )
    files = []
    tokens = [d for d in done if d.token]
    if tokens:
        path = projects.class_dir(roster) / "access.csv"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["id", "name", "project", "token"])
            names = {learner.id: learner.name for learner in roster.learners}
            for d in tokens:
                w.writerow([d.id, names[d.id], d.project, d.token])
        files.append(path)
        cli = get_backend(roster.local()[0].backend).cli
        commands = (
            f"`{cli} remote add classroom TOKEN`, `{cli} remote switch classroom`, "
            f"`{cli} project switch PROJECT`"
        )
        notes.append(
            both(
                f"hand each learner their own line of {path} (secret, one use); they run: "
                + commands,
                f"학습자마다 {path}에서 자기 줄만 전해 주세요(비밀이며 한 번만 쓸 수 있습니다). "
                f"학습자가 실행할 명령: {commands}",
            )
        )
    return ClassResult("setup", roster, done, notes, files)


def _outcome(d: Done) -> Text:
    """One learner's progress line: what went wrong or was kept, else ok."""
    return d.error or d.kept or both("ok", "완료")


def run_teardown(args: argparse.Namespace) -> ClassResult:
    import shutil

    from snaplab.classroom import projects, recording

    lab, roster = _load(args)
    jobs = _jobs(args)
    progress = Progress(len(roster.learners), "teardown", detect(getattr(args, "lang", None)))
    recording.stop_recorders(roster)
    done = projects.each(
        roster.learners,
        lambda learner: projects.teardown_one(lab, roster, learner),
        jobs,
        lambda d: progress.add(
            "failed" if d.error else "kept" if d.kept else "ok", f"{d.id}: " + _outcome(d)
        ),
    )
    notes: list[Text] = []
    if not any(d.error or d.kept for d in done):
        # the daemon stops listening only when no learner of the class may still need it
        for name in sorted({learner.backend for learner in roster.local()}):
            if said := projects.unlisten(roster, name):
                notes.append(said)
        shutil.rmtree(projects.class_dir(roster), ignore_errors=True)
    return ClassResult("teardown", roster, done, notes)


# -- grade ------------------------------------------------------------------------


@dataclass
class GradeResult:
    book: Gradebook
    files: list[Path]
    fresh: list[LearnerResult]  # graded in this run (all, or those --only named)
    notes: list[Text] = field(default_factory=list)

    @property
    def code(self) -> ExitCode:
        """0 when every learner graded now was graded, whatever their score; 1 otherwise."""
        ok = all(r.status == "graded" for r in self.fresh)
        return ExitCode.OK if ok else ExitCode.NOT_PASSING

    def to_dict(self) -> dict[str, Any]:
        notes = [n.en for n in self.notes]
        return {**self.book.to_dict(), "files": [str(f) for f in self.files], "notes": notes}

    def render(self, lang: str) -> str:
        from snaplab.classroom.gradebook import LABELS

        ko = lang == "ko"
        lines = []
        for r in self.book.learners:
            score = f"{r.score}/{r.max_score}" if r.score is not None else "-"
            status = LABELS[lang].get(r.status, r.status)
            lines.append(f"  {r.id:16} {score:>7}  {status:11} {r.reason}")
        c = self.book.counts()
        lines.append(
            (
                f"  채점 {c['graded']} · 완료 {c['complete']} · 실패 {c['failed']} · "
                f"연결 불가 {c['unreachable']}"
            )
            if ko
            else (
                f"  graded {c['graded']} · complete {c['complete']} · failed {c['failed']} · "
                f"unreachable {c['unreachable']}"
            )
        )
        lines += [f"  ! {n.get(lang)}" for n in self.notes]
        lines += [f"  {'파일' if ko else 'wrote'}: {f}" for f in self.files]
        return "\n".join(lines)


def run_grade(args: argparse.Namespace) -> GradeResult:
    from snaplab.classroom import gradebook, grading, recording

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
        learners = [roster.get(i) for i in dict.fromkeys(args.only)]
        old = gradebook.read(out)
        if old is None:
            raise SnaplabError(
                both(
                    f"no gradebook in {out} to merge into: grade the whole class first "
                    f"(without --only), or point --out at it",
                    f"{out}에 합칠 성적표가 없습니다: 먼저 --only 없이 수업 전체를 채점하거나 "
                    "--out으로 성적표가 있는 곳을 지정하세요",
                ),
                ExitCode.USAGE,
            )
    notes: list[Text] = []
    started = recording.started(lab, roster)
    if any(not recording.recorded(lab, learner) for learner in started):
        unrecorded = recording.record(lab, roster, started)
        notes += sorted(set(unrecorded.values()), key=lambda n: n.en)
        notes.append(
            both(
                "the class's event recorders had stopped and were restarted: steps done "
                "while they were down leave no evidence",
                "수업의 이벤트 기록기가 멈춰 있어 다시 시작했습니다: 멈춰 있는 동안 한 단계는 "
                "증거가 남지 않습니다",
            )
        )
    progress = Progress(len(learners), "grade", lang)
    results: list[LearnerResult] = grading.grade_all(
        lab,
        learners,
        lang,
        jobs,
        args.timeout,
        lambda r: progress.add(
            r.status,
            f"{r.id}: " + (f"{r.score}/{r.max_score}" if r.score is not None else r.reason),
        ),
    )
    steps = [{"id": s.id, "title": s.title.get(lang), "max_points": s.points} for s in lab.steps]
    book = gradebook.Gradebook(roster.name, lab.id, steps, results, lang, gradebook.now())
    if old is not None:
        book = old.merge(results)
    files = gradebook.write(book, out)
    return GradeResult(book, files, results, notes)
