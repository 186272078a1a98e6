"""Class grading without a daemon: every way a learner can fail to be graded has a status and a reason."""

from __future__ import annotations

import os
import signal
import time
from types import SimpleNamespace

import pytest
from pylxd.exceptions import LXDAPIException

from snaplab.classroom import grading
from snaplab.classroom.gradebook import FAILED, GRADED, UNREACHABLE
from snaplab.classroom.roster import Learner
from snaplab.errors import ExitCode, SnaplabError
from snaplab.i18n import both
from snaplab.lab import grader, model, runner
from snaplab.lab.journal import Session
from snaplab.lab.results import FAIL, PASS, PENDING, LabResult

LAB = model.load("snapshots")
MAX = sum(s.points for s in LAB.steps)


def learner(n: int = 1, id: str = "kim", project: str | None = None) -> Learner:
    return Learner(
        id, f"학습자 {n}", backend="lxd", instance="ubuntu-test",
        project=project or f"ko101-{id}", url=None, line=n + 1,
    )  # fmt: skip


def lab_result(session: Session, passed: int) -> LabResult:
    """A realistic result: the first `passed` steps pass, the next fails, the rest are pending."""
    outcomes = {s.id: i < passed for i, s in enumerate(LAB.steps)}
    fill = {"instance": session.instance, "snapshot": LAB.snapshot}
    commands = {s.id: f"lxc snapshot {session.instance}" for s in LAB.steps}
    return LabResult(
        LAB.id, session.backend, session.instance, session.project, LAB.snapshot,
        steps=grader.results(LAB, outcomes, fill, commands),
        notes=[both(f"pid {os.getpid()}", f"프로세스 {os.getpid()}")],
    )  # fmt: skip


@pytest.fixture(autouse=True)
def alarm_restored():
    """grade_one installs its own SIGALRM handler: give pytest's process back as it was."""
    before = signal.getsignal(signal.SIGALRM)
    yield
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, before)


@pytest.fixture(autouse=True)
def project_lookups(monkeypatch):
    """No daemon is ever asked whether a project exists: tests say what it would answer."""
    asked: list[str] = []
    answer = {"exists": True}

    def fake(who: Learner) -> bool:
        asked.append(who.project)
        return answer["exists"]

    monkeypatch.setattr(grading, "_project_exists", fake)
    return SimpleNamespace(asked=asked, answer=answer)


def check_with(monkeypatch, fake) -> list[tuple[Session, bool]]:
    calls: list[tuple[Session, bool]] = []

    def check(lab, session, restart_recorder=True):
        assert lab is LAB or lab.id == LAB.id
        calls.append((session, restart_recorder))
        return fake(session)

    monkeypatch.setattr(runner, "check", check)
    return calls


def raising(exc: BaseException):
    def fake(session: Session) -> LabResult:
        raise exc

    return fake


def assert_not_graded(r, status: str) -> None:
    assert r.status == status
    assert r.score is None and r.max_score is None and r.steps == []
    assert r.reason and "\n" not in r.reason
    assert r.graded_at.endswith("Z")


# -- grade_one ----------------------------------------------------------------------


def test_graded_learner_carries_score_and_steps(monkeypatch, project_lookups):
    calls = check_with(monkeypatch, lambda s: lab_result(s, passed=3))
    r = grading.grade_one(LAB, learner(), "en", timeout=5)

    (session, restart), *_ = calls
    assert len(calls) == 1 and restart is False  # class grade looks after the recorders
    assert session == Session("snapshots", "lxd", "ko101-kim", "ubuntu-test", None)
    assert r.status == GRADED and r.reason == ""
    assert r.score == sum(s.points for s in LAB.steps[:3]) and r.max_score == MAX
    assert [s.id for s in r.steps] == [s.id for s in LAB.steps]
    assert [s.status for s in r.steps[:5]] == [PASS, PASS, PASS, FAIL, PENDING]
    assert r.steps[3].hint and all(not s.hint for s in r.steps if s.status != FAIL)
    assert r.notes == [f"pid {os.getpid()}"]
    assert (r.id, r.name, r.target, r.project) == ("kim", "학습자 1", "local", "ko101-kim")
    assert project_lookups.asked == []  # a graded learner costs no extra request
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)  # no alarm left armed


def test_graded_result_is_in_the_asked_language(monkeypatch):
    check_with(monkeypatch, lambda s: lab_result(s, passed=0))
    en = grading.grade_one(LAB, learner(), "en", timeout=5)
    ko = grading.grade_one(LAB, learner(), "ko", timeout=5)
    assert ko.steps[0].message != en.steps[0].message
    assert ko.notes == [f"프로세스 {os.getpid()}"]


def test_daemon_down_is_unreachable_with_the_errors_words(monkeypatch, project_lookups):
    words = both("LXD is not running (no socket)", "LXD 데몬이 실행 중이 아닙니다")
    check_with(monkeypatch, raising(SnaplabError(words, ExitCode.DAEMON_DOWN)))
    r = grading.grade_one(LAB, learner(), "en", timeout=5)
    assert_not_graded(r, UNREACHABLE)
    assert r.reason == "LXD is not running (no socket)"
    assert grading.grade_one(LAB, learner(), "ko", timeout=5).reason == words.ko
    assert project_lookups.asked == []


def test_permission_is_unreachable(monkeypatch):
    check_with(monkeypatch, raising(SnaplabError("certificate not trusted", ExitCode.PERMISSION)))
    r = grading.grade_one(LAB, learner(), "en", timeout=5)
    assert_not_graded(r, UNREACHABLE)
    assert r.reason == "certificate not trusted"


def test_other_snaplab_errors_are_failed(monkeypatch):
    check_with(monkeypatch, raising(SnaplabError("not snaplab's container", ExitCode.CONFLICT)))
    r = grading.grade_one(LAB, learner(), "en", timeout=5)
    assert_not_graded(r, FAILED)
    assert r.reason == "not snaplab's container"


def test_not_found_with_the_project_missing_names_the_project(monkeypatch, project_lookups):
    project_lookups.answer["exists"] = False
    check_with(monkeypatch, raising(SnaplabError("not started", ExitCode.NOT_FOUND)))
    who = learner(project="ko101-gone")

    r = grading.grade_one(LAB, who, "en", timeout=5)
    assert_not_graded(r, FAILED)
    assert "project ko101-gone does not exist" in r.reason and "snaplab class setup" in r.reason
    assert "not started" not in r.reason
    assert project_lookups.asked == ["ko101-gone"]

    ko = grading.grade_one(LAB, who, "ko", timeout=5)
    assert ko.reason.startswith("프로젝트 ko101-gone이(가) 없습니다")


def test_not_found_with_the_project_present_keeps_the_errors_words(monkeypatch, project_lookups):
    gone = "the lab container ubuntu-test is gone (deleted?)"
    check_with(monkeypatch, raising(SnaplabError(gone, ExitCode.NOT_FOUND)))
    r = grading.grade_one(LAB, learner(), "en", timeout=5)
    assert_not_graded(r, FAILED)
    assert r.reason == gone
    assert project_lookups.asked == ["ko101-kim"]


def test_daemon_refusal_is_failed_with_its_words(monkeypatch):
    response = SimpleNamespace(
        status_code=403, json=lambda: {"error": "not authorized"}, content=b""
    )
    check_with(monkeypatch, raising(LXDAPIException(response)))
    r = grading.grade_one(LAB, learner(), "en", timeout=5)
    assert_not_graded(r, FAILED)
    assert r.reason == "the daemon refused: not authorized"


def test_no_answer_in_time_is_unreachable(monkeypatch):
    finished = []

    def slow(session: Session) -> LabResult:
        time.sleep(3)
        finished.append(True)  # reached only if the alarm did not cut the check short
        return lab_result(session, passed=9)

    check_with(monkeypatch, slow)
    r = grading.grade_one(LAB, learner(), "en", timeout=0.3)
    assert not finished
    assert_not_graded(r, UNREACHABLE)
    assert "0.3" in r.reason and "not graded within" in r.reason
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_timeout_reason_in_korean(monkeypatch):
    check_with(monkeypatch, lambda s: time.sleep(3))
    r = grading.grade_one(LAB, learner(), "ko", timeout=0.3)
    assert_not_graded(r, UNREACHABLE)
    assert r.reason.startswith("0.3초 안에 채점되지 않았습니다")


def test_a_check_that_swallows_the_alarm_is_still_unreachable(monkeypatch):
    """pytest records an exception inside a check as a failed step: a score made that way
    must not pass for a grade."""

    def swallowing(session: Session) -> LabResult:
        result = lab_result(session, passed=2)
        try:
            time.sleep(1)
        except BaseException:  # noqa: BLE001 - what pytest does with a check's exception
            return result
        raise AssertionError("the alarm never rang")

    check_with(monkeypatch, swallowing)
    r = grading.grade_one(LAB, learner(), "en", timeout=0.3)
    assert_not_graded(r, UNREACHABLE)
    assert "0.3" in r.reason


def test_a_fast_check_after_a_timed_out_one_is_graded(monkeypatch):
    """The alarm flag is per learner: one slow learner must not taint the next."""
    check_with(monkeypatch, lambda s: time.sleep(1))
    assert grading.grade_one(LAB, learner(), "en", timeout=0.3).status == UNREACHABLE
    check_with(monkeypatch, lambda s: lab_result(s, passed=9))
    r = grading.grade_one(LAB, learner(), "en", timeout=5)
    assert r.status == GRADED and r.score == MAX


def test_any_other_exception_is_failed_not_fatal(monkeypatch):
    check_with(monkeypatch, raising(ValueError("bad journal line")))
    r = grading.grade_one(LAB, learner(), "en", timeout=5)
    assert_not_graded(r, FAILED)
    assert r.reason == "grading failed: ValueError: bad journal line"


# -- grade_all ----------------------------------------------------------------------

# later learners answer sooner, so workers finish out of roster order
DELAY = {f"ko101-s{n}": 0.05 * (7 - n) for n in range(7)}


def graded_by_project(session: Session) -> LabResult:
    n = int(session.project.rsplit("s", 1)[1])
    time.sleep(DELAY[session.project])
    if n == 5:
        raise SnaplabError("LXD is not running", ExitCode.DAEMON_DOWN)
    return lab_result(session, passed=n)  # each learner's score tells whose result it is


def class_of_seven() -> list[Learner]:
    return [learner(n, id=f"s{n}") for n in range(7)]


@pytest.mark.parametrize("jobs", [3, 1])
def test_grade_all_keeps_roster_order(monkeypatch, jobs):
    check_with(monkeypatch, graded_by_project)
    learners = class_of_seven()
    landed: list[str] = []

    results = grading.grade_all(LAB, learners, "en", jobs, 5, lambda r: landed.append(r.id))

    assert [r.id for r in results] == [x.id for x in learners]
    assert sorted(landed) == sorted(x.id for x in learners) and len(landed) == 7
    for n, r in enumerate(results):
        if n == 5:
            assert r.status == UNREACHABLE and r.reason == "LXD is not running"
        else:
            assert r.status == GRADED
            assert r.score == sum(s.points for s in LAB.steps[:n])
    pids = {int(r.notes[0].split()[1]) for r in results if r.status == GRADED}
    if jobs == 1:
        assert pids == {os.getpid()} and landed == [x.id for x in learners]
    else:
        assert os.getpid() not in pids and 1 < len(pids) <= 3  # forked workers, in parallel
        assert landed != [x.id for x in learners]  # progress follows completion, not the roster


def test_grade_all_times_out_per_learner_in_workers(monkeypatch):
    def one_hangs(session: Session) -> LabResult:
        if session.project == "ko101-s1":
            time.sleep(5)
        return lab_result(session, passed=1)

    check_with(monkeypatch, one_hangs)
    learners = class_of_seven()[:3]
    results = grading.grade_all(LAB, learners, "en", 3, 0.5, lambda r: None)
    assert [r.status for r in results] == [GRADED, UNREACHABLE, GRADED]
    assert "0.5" in results[1].reason


def test_default_jobs_is_bounded():
    assert 2 <= grading.default_jobs() <= 16
