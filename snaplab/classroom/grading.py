"""Grade every learner of a class in one pass: one connection per daemon, one pytest session.

Every learner's evidence is read at once (snaplab/classroom/evidence.py), and the lab's
checks run once in one pytest session, each parametrized over the learners, as `pytest
checks/test_<lab>.py --lab-roster ROSTER` runs them (snaplab/pytest_plugin.py). A learner
that cannot be graded (host unreachable, certificate refused, project or container missing,
no answer in time) gets a status and a reason, never a silent zero, and never stops the run.
No signal and no fork: each request has its own time limit, so a server may call this from
any thread.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
import requests
from pylxd.exceptions import LXDAPIException

from snaplab.classroom import evidence, listing
from snaplab.classroom.gradebook import FAILED, UNREACHABLE, LearnerResult
from snaplab.classroom.roster import Learner
from snaplab.errors import ExitCode, SnaplabError
from snaplab.i18n import Text, as_text, both
from snaplab.lab.graded import Class, Graded, outcome, seed_class
from snaplab.lab.grader import Collector, results
from snaplab.lab.model import Lab

# exit codes that mean "we never reached this learner's daemon as ourselves"
UNREACHABLE_CODES = {ExitCode.DAEMON_DOWN, ExitCode.PERMISSION}


class ClassCollector(Collector):
    """Each learner's outcome of each step, by (learner id, step id); `done(learner id)` as
    soon as that learner's last check has run (the checks run learner by learner)."""

    def __init__(self, graded: Any, done: Callable[[str], None]) -> None:
        super().__init__(graded)
        self.done = done
        self.learner_of: dict[str, str] = {}  # item's node id -> learner id
        self.left: dict[str, int] = {}  # learner id -> their checks not yet run

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        super().pytest_collection_modifyitems(items)
        for item in items:
            spec = getattr(item, "callspec", None)
            if spec is not None and "_roster_learner" in spec.params:
                who = spec.params["_roster_learner"].id
                self.learner_of[item.nodeid] = who
                self.left[who] = self.left.get(who, 0) + 1

    def pytest_runtest_logfinish(self, nodeid: str) -> None:
        who = self.learner_of.get(nodeid)
        if who is not None:
            self.left[who] -= 1
            if not self.left[who]:
                self.done(who)

    def pytest_configure(self, config: pytest.Config) -> None:
        seed_class(config, self.graded)
        # a failed step's report is the lab's own words (the plugin's): formatting pytest's
        # traceback first, with its source, took a third of a class's run
        config.option.tbstyle = "no"

    def key(self, item: pytest.Item, step: str) -> Any:
        return (item.callspec.params["_roster_learner"].id, step)  # type: ignore[attr-defined]


_one_session = threading.Lock()  # a pytest session is process-wide state: one at a time


def run_class(
    lab: Lab, learners: list[Learner], found: dict[str, Any], done: Callable[[str, dict], None]
) -> None:
    """The lab's checks, once, over these learners: `done(learner id, their step outcomes)`
    as each one's last check has run, and for anyone left once the session ends."""
    from snaplab import inprocess

    finished: set[str] = set()
    failed: list[Exception] = []

    def learner_done(learner_id: str) -> None:
        finished.add(learner_id)
        got = collector.outcomes
        keys = [(learner_id, s.id) for s in lab.steps]
        try:
            done(learner_id, {step: got[(who, step)] for who, step in keys if (who, step) in got})
        except Exception as e:  # noqa: BLE001 - the caller's, once the session is over:
            failed.append(e)  # raised inside pytest's hook, it would stop everyone's checks

    collector = ClassCollector(Class(lab, learners, found), learner_done)
    with _one_session:
        inprocess.run(lab.checks, collector)
    for learner in learners:
        if learner.id not in finished:  # no check ran for them (the session stopped early)
            learner_done(learner.id)
    if failed:
        raise failed[0]


def grade_all(
    lab: Lab,
    learners: list[Learner],
    jobs: int,
    timeout: float,
    progress: Callable[[LearnerResult], None] = lambda r: None,
    asked: listing.Asked | None = None,
) -> list[LearnerResult]:
    """One pass; results in roster order, in both languages (a dashboard shows each reader
    their own). `progress` is called on this thread with each learner's result as soon as
    their checks have run, while the others' still run. `timeout`: seconds each request to a
    daemon may take; `jobs`: requests at once; `asked`: these learners' daemons, if already
    asked (`listing.ask`)."""
    began = time.monotonic()
    reading = evidence.start(lab, learners, timeout, max(1, jobs), asked)
    by_id = {learner.id: learner for learner in learners}
    made: dict[str, LearnerResult] = {}

    def finish(learner_id: str, outcomes: dict[str, bool]) -> None:
        learner = by_id[learner_id]
        got, who = outcome(reading[learner_id]), learner.to_dict()
        share = (time.monotonic() - began) / (len(made) + 1)  # the pass's time so far, shared
        if isinstance(got, Graded):
            got.base.steps = results(lab, outcomes, got.params, got.commands, got.chain.failures)
            got.base.stamp(got.chain.begun, got.chain.proofs)  # when each step was proven
            r = LearnerResult.graded(who, got.base, share)
        else:
            r = LearnerResult.not_graded(who, *why_not(got, learner, timeout), share)
        made[learner_id] = r
        progress(r)

    run_class(lab, learners, reading, finish)  # each learner's checks as their read ends
    return [made[learner.id] for learner in learners]


def why_not(error: BaseException, learner: Learner, timeout: float) -> tuple[str, Text]:
    """The status and the one-line reason of a learner who could not be graded."""
    if isinstance(error, SnaplabError):
        if error.code == ExitCode.NOT_FOUND and not _project_exists(learner):
            return FAILED, _missing_project(learner)
        return UNREACHABLE if error.code in UNREACHABLE_CODES else FAILED, as_text(error.message)
    if isinstance(error, LXDAPIException):
        return FAILED, both(f"the daemon refused: {error}", f"데몬이 요청을 거부했습니다: {error}")
    if isinstance(error, requests.Timeout):
        return UNREACHABLE, both(
            f"not graded within {timeout:g} s (the host is slow or not answering)",
            f"{timeout:g}초 안에 채점되지 않았습니다 (호스트가 느리거나 응답하지 않습니다)",
        )
    if isinstance(error, requests.ConnectionError):
        return UNREACHABLE, both(
            f"the daemon stopped answering: {error}", f"데몬이 응답하지 않게 되었습니다: {error}"
        )
    why = f"{type(error).__name__}: {error}"
    return FAILED, both(f"grading failed: {why}", f"채점하지 못했습니다: {why}")


def _project_exists(learner: Learner) -> bool:
    from pylxd.exceptions import NotFound

    from snaplab import instance as api
    from snaplab.transports import Target, connect

    try:
        conn = connect(Target(learner.backend, learner.url, "default"))
        api.node(conn.client, f"/1.0/projects/{learner.project}").get()
        return True
    except (NotFound, SnaplabError):
        return False
    except Exception:  # noqa: BLE001 - a restricted certificate may not read projects: assume it is
        return True


def _missing_project(learner: Learner) -> Text:
    return both(
        f"project {learner.project} does not exist: create it with `snaplab class setup` "
        "or fix the roster's project",
        f"프로젝트 {learner.project}이(가) 없습니다: `snaplab class setup`으로 만들거나 "
        "명단의 project 값을 고치세요",
    )
