"""A whole class set up or torn down: the order of the work, and what the instructor is told.

Setup: each daemon read once and made to listen, then every learner's project,
token and lab in parallel (projects.py, tokens.py), then one recorder per daemon
(recording.py), then the tokens written where only the instructor can read them.
Teardown: the recorders stopped, then every learner's, and the daemon's address
unset only when nothing of the class is left. The CLI (commands/classroom.py)
parses, shows progress and renders; it decides nothing here.
"""

from __future__ import annotations

import csv
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from snaplab.backends import get_backend
from snaplab.classroom import projects, recording
from snaplab.classroom.projects import Done
from snaplab.classroom.roster import Roster
from snaplab.classroom.state import class_dir
from snaplab.i18n import Text, both
from snaplab.lab.model import Lab


def setup(
    lab: Lab, roster: Roster, jobs: int, listen: str | None, progress: Callable[[Done], None]
) -> tuple[list[Done], list[Text], list[Path]]:
    """Every learner's project, token and lab; returns what each got, notes, files written."""
    notes = []
    hosts = projects.read_hosts(roster)
    for admin in (host.admin for host in hosts.values()):
        where = projects.listen(roster, admin, listen or admin.backend.listen)
        title = admin.backend.title
        notes.append(
            both(
                f"learners reach this host's {title} at {where}",
                f"학습자는 이 호스트의 {title}에 {where}(으)로 접속합니다",
            )
        )
    done = projects.each(
        roster.learners,
        lambda learner: projects.setup_one(lab, roster, learner, hosts),
        jobs,
        progress,
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
        path = write_access(roster, tokens)
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
    return done, notes, files


def write_access(roster: Roster, tokens: list[Done]) -> Path:
    """access.csv: the tokens are secrets, so the file is the instructor's alone (0600)."""
    path = class_dir(roster) / "access.csv"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "name", "project", "token"])
        names = {learner.id: learner.name for learner in roster.learners}
        for d in tokens:
            w.writerow([d.id, names[d.id], d.project, d.token])
    return path


def teardown(
    lab: Lab, roster: Roster, jobs: int, progress: Callable[[Done], None]
) -> tuple[list[Done], list[Text]]:
    """Remove what setup made; returns what each learner's teardown did, and notes."""
    recording.stop_recorders(roster)
    hosts = projects.read_hosts(roster)
    done = projects.each(
        roster.learners,
        lambda learner: projects.teardown_one(lab, roster, learner, hosts),
        jobs,
        progress,
    )
    notes: list[Text] = []
    left = {d.id for d in done if d.error or d.kept}
    # a daemon stops listening only when none of its learners may still need it: a learner
    # on another host whose teardown failed does not keep this one open
    for name in sorted({learner.backend for learner in roster.local()}):
        if not any(x.id in left for x in roster.local() if x.backend == name):
            if said := projects.unlisten(roster, name):
                notes.append(said)
    if not left:
        shutil.rmtree(class_dir(roster), ignore_errors=True)
    return done, notes
