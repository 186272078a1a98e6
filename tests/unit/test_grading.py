"""Class grading without a daemon: one pass grades every learner, and every way a learner can
fail to be graded has a status and a reason."""

from __future__ import annotations

import signal
import threading
from types import SimpleNamespace

import pytest
import requests
from pylxd.exceptions import LXDAPIException

from snaplab.classroom import grading
from snaplab.classroom.gradebook import FAILED, GRADED, UNREACHABLE
from snaplab.errors import ExitCode, SnaplabError
from snaplab.i18n import both
from snaplab.lab.results import FAIL, PASS, PENDING
from tests.unit.fake_class import (
    LAB,
    Daemon,
    holding,
    learner,
    response,
    started,
    two_started,
    wire,
)

MAX = sum(s.points for s in LAB.steps)
TAKEN = LAB.steps[0].points  # the first step: a snapshot taken


@pytest.fixture(autouse=True)
def state(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))


@pytest.fixture(autouse=True)
def project_lookups(monkeypatch):
    """No daemon is ever asked whether a project exists: tests say what it would answer."""
    asked: list[str] = []
    answer = {"exists": True}

    def fake(who) -> bool:
        asked.append(who.project)
        return answer["exists"]

    monkeypatch.setattr(grading, "_project_exists", fake)
    return SimpleNamespace(asked=asked, answer=answer)


def assert_not_graded(r, status: str) -> None:
    assert r.status == status
    assert r.score is None and r.max_score is None and r.steps == []
    assert r.reason.en and r.reason.ko and "\n" not in r.reason.en + r.reason.ko
    assert r.graded_at.endswith("Z")


def a_class(monkeypatch):
    """kim took a snapshot, lee did not, idle never started, far's daemon is down."""
    lxd = Daemon()
    kim, lee, idle, far = learner("kim"), learner("lee"), learner("idle"), learner("far", "incus")
    lxd.holds(kim, ("snap",))
    lxd.holds(lee)
    lxd.holds(idle)
    started(kim, ("snap",))
    started(lee)
    down = SnaplabError(
        both("Incus is not running", "Incus가 실행 중이 아닙니다"), ExitCode.DAEMON_DOWN
    )
    wire(monkeypatch, {"lxd": lxd, "incus": down})
    return lxd, [kim, lee, idle, far]


def test_one_pass_grades_each_learner_on_their_own_evidence(monkeypatch, project_lookups):
    lxd, learners = a_class(monkeypatch)
    landed = []
    results = grading.grade_all(LAB, learners, 4, 5, landed.append)

    assert [r.id for r in results] == ["kim", "lee", "idle", "far"] and landed == results
    kim, lee, idle, far = results
    assert kim.status == GRADED and kim.score == TAKEN and kim.max_score == MAX
    assert [s.status for s in kim.steps[:3]] == [PASS, FAIL, PENDING]
    assert kim.result.snapshot == "snap" and not kim.reason
    assert kim.result.started and kim.steps[0].proven and not kim.steps[1].proven  # times
    assert lee.status == GRADED and lee.score == 0
    assert [s.status for s in lee.steps[:2]] == [FAIL, PENDING] and lee.steps[0].hint
    assert_not_graded(idle, FAILED)
    assert "has not been started" in idle.reason.en
    assert_not_graded(far, UNREACHABLE)
    assert far.reason.en == "Incus is not running"  # never a zero
    assert project_lookups.asked == ["h1t-idle"]  # asked only where something was not found
    listed = sorted(p for path, p, _ in lxd.asked if path == "/1.0/instances")
    assert listed == ["h1t-idle", "h1t-kim", "h1t-lee"]  # each learner's project, once


def test_one_grade_holds_both_languages(monkeypatch):
    _, learners = a_class(monkeypatch)
    kim, _, _, far = grading.grade_all(LAB, learners, 2, 5)
    assert kim.render("ko")["steps"][1]["message"] == kim.steps[1].message.ko
    assert kim.steps[1].message.ko != kim.steps[1].message.en
    assert far.render("ko")["reason"] == "Incus가 실행 중이 아닙니다"


def test_no_signal_is_used_and_any_thread_may_grade(monkeypatch):
    _, learners = a_class(monkeypatch)
    before = signal.getsignal(signal.SIGALRM)
    out: list = []
    worker = threading.Thread(target=lambda: out.extend(grading.grade_all(LAB, learners, 2, 5)))
    worker.start()
    worker.join(60)
    assert [r.status for r in out] == [GRADED, GRADED, FAILED, UNREACHABLE]
    assert signal.getsignal(signal.SIGALRM) == before
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_missing_project_names_the_project(monkeypatch, project_lookups):
    _, learners = a_class(monkeypatch)
    project_lookups.answer["exists"] = False
    r = grading.grade_all(LAB, learners[2:3], 1, 5)[0]
    assert_not_graded(r, FAILED)
    assert "project h1t-idle does not exist" in r.reason.en
    assert "snaplab class setup" in r.reason.en
    assert r.reason.ko.startswith("프로젝트 h1t-idle이(가) 없습니다")


# -- why a learner was not graded ------------------------------------------------------


def why(error: BaseException, lang: str = "en") -> tuple[str, str]:
    status, reason = grading.why_not(error, learner("kim"), 0.3)
    return status, reason.get(lang)


def test_daemon_down_and_permission_are_unreachable_with_the_errors_words():
    assert why(SnaplabError("LXD is not running", ExitCode.DAEMON_DOWN)) == (
        UNREACHABLE,
        "LXD is not running",
    )
    assert why(SnaplabError("certificate not trusted", ExitCode.PERMISSION))[0] == UNREACHABLE


def test_other_snaplab_errors_are_failed(project_lookups):
    assert why(SnaplabError("not snaplab's container", ExitCode.CONFLICT)) == (
        FAILED,
        "not snaplab's container",
    )
    gone = "the lab container ubuntu-test is gone (deleted?)"
    assert why(SnaplabError(gone, ExitCode.NOT_FOUND)) == (FAILED, gone)  # the project is there
    assert project_lookups.asked == ["h1t-kim"]


def test_daemon_refusal_is_failed_with_its_words():
    assert why(LXDAPIException(response(403, "not authorized"))) == (
        FAILED,
        "the daemon refused: not authorized",
    )


def test_no_answer_in_time_is_unreachable():
    status, reason = why(requests.ReadTimeout("read timed out"))
    assert status == UNREACHABLE and "not graded within 0.3 s" in reason
    assert why(requests.ReadTimeout(), "ko")[1].startswith("0.3초 안에 채점되지 않았습니다")
    assert why(requests.ConnectionError("reset"))[0] == UNREACHABLE


def test_any_other_exception_is_failed_not_fatal():
    assert why(ValueError("bad journal line")) == (
        FAILED,
        "grading failed: ValueError: bad journal line",
    )


def test_each_learners_result_comes_as_their_checks_end_while_the_others_are_read(monkeypatch):
    """The dashboard shows kim's grade while the daemon still lists lee's project."""
    lxd, kim, lee = two_started(monkeypatch)
    held, kim_graded = holding(monkeypatch, lxd, lee.project), threading.Event()

    def landed(r) -> None:
        if r.id == "kim":
            kim_graded.set()

    out: list = []
    worker = threading.Thread(
        target=lambda: out.extend(grading.grade_all(LAB, [kim, lee], 4, 5, landed))
    )
    worker.start()
    assert kim_graded.wait(10) and not out  # kim's result, and the pass not over
    held.set()
    worker.join(30)
    assert [r.status for r in out] == [GRADED, GRADED]


def test_a_progress_that_fails_stops_no_one_s_checks_and_is_raised_after(monkeypatch):
    _, kim, lee = two_started(monkeypatch)
    landed = []

    def progress(r) -> None:
        landed.append(r.id)
        if r.id == "kim":
            raise OSError("the terminal went away")

    with pytest.raises(OSError, match="terminal went away"):
        grading.grade_all(LAB, [kim, lee], 2, 5, progress)
    assert landed == ["kim", "lee"]  # lee's checks ran, and her result was handed on too
