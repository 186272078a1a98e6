"""Grade every learner of a class in parallel, each exactly as `snaplab check` would.

Workers are forked processes: the engine (pylxd, pytest, the lab) is imported
once, before the fork, and each worker grades learner after learner with
`runner.check`, the same function `check` runs. A learner that cannot be graded
(host unreachable, certificate refused, project or container missing, no answer
in time) gets a status and a reason, never a silent zero, and never stops the run.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from typing import Any

from snaplab.classroom.gradebook import FAILED, UNREACHABLE, LearnerResult
from snaplab.classroom.roster import Learner
from snaplab.errors import ExitCode, SnaplabError
from snaplab.i18n import both
from snaplab.lab.model import Lab

# exit codes that mean "we never reached this learner's daemon as ourselves"
UNREACHABLE_CODES = {ExitCode.DAEMON_DOWN, ExitCode.PERMISSION}


def default_jobs() -> int:
    """Grading waits on the daemon more than it computes: two workers per core."""
    return min(16, 2 * (os.cpu_count() or 1))


class TimedOut(BaseException):
    """Raised in a worker by its alarm; BaseException so no `except Exception` swallows it."""


_rang: list[bool] = []  # pytest records any exception inside a check as a failure: remember it


def _alarm(signum: int, frame: Any) -> None:
    _rang.append(True)
    raise TimedOut


def grade_one(lab: Lab, learner: Learner, lang: str, timeout: float) -> LearnerResult:
    from pylxd.exceptions import LXDAPIException

    from snaplab.lab import runner

    who = learner.to_dict()
    began = time.monotonic()
    _rang.clear()
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        try:
            result = runner.check(lab, learner.session(lab.id), restart_recorder=False)
        except SnaplabError as e:
            status = UNREACHABLE if e.code in UNREACHABLE_CODES else FAILED
            reason = e.render(lang)
            if e.code == ExitCode.NOT_FOUND and not _project_exists(learner):
                reason = _missing_project(learner, lang)
            return LearnerResult.not_graded(who, status, reason, time.monotonic() - began)
        except LXDAPIException as e:
            refused = both(f"the daemon refused: {e}", f"데몬이 요청을 거부했습니다: {e}")
            return LearnerResult.not_graded(
                who, FAILED, refused.get(lang), time.monotonic() - began
            )
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        if _rang:
            raise TimedOut
        return LearnerResult.from_lab(who, result, lang, time.monotonic() - began)
    except TimedOut:
        reason = (
            f"{timeout:g}초 안에 채점되지 않았습니다 (호스트가 느리거나 응답하지 않습니다)"
            if lang == "ko"
            else f"not graded within {timeout:g} s (the host is slow or not answering)"
        )
        return LearnerResult.not_graded(who, UNREACHABLE, reason, time.monotonic() - began)
    except Exception as e:  # noqa: BLE001 - one learner's surprise must not end the class's run
        why = f"{type(e).__name__}: {e}"
        failed = both(f"grading failed: {why}", f"채점하지 못했습니다: {why}")
        return LearnerResult.not_graded(who, FAILED, failed.get(lang), time.monotonic() - began)
    finally:
        signal.signal(signal.SIGALRM, previous)


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


def _missing_project(learner: Learner, lang: str) -> str:
    if lang == "ko":
        return (
            f"프로젝트 {learner.project}이(가) 없습니다: `snaplab class setup`으로 만들거나 "
            "명단의 project 값을 고치세요"
        )
    return (
        f"project {learner.project} does not exist: create it with `snaplab class setup` "
        "or fix the roster's project"
    )


def grade_all(
    lab: Lab,
    learners: list[Learner],
    lang: str,
    jobs: int,
    timeout: float,
    progress: Callable[[LearnerResult], None],
) -> list[LearnerResult]:
    """Results in roster order; `progress` is called in this process as each one lands."""
    import pytest  # noqa: F401 - imported once here, inherited by every forked worker

    from snaplab.lab import runner  # noqa: F401

    if jobs <= 1 or len(learners) <= 1:
        out = []
        for learner in learners:
            out.append(grade_one(lab, learner, lang, timeout))
            progress(out[-1])
        return out
    by_id: dict[str, LearnerResult] = {}
    ctx = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=min(jobs, len(learners)), mp_context=ctx) as pool:
        futures: dict[Future[LearnerResult], Learner] = {
            pool.submit(grade_one, lab, learner, lang, timeout): learner for learner in learners
        }
        for future in as_completed(futures):
            learner = futures[future]
            try:
                result = future.result()
            except Exception as e:  # noqa: BLE001 - a worker died (killed, out of memory)
                died = both(
                    f"the grading worker died: {e}", f"채점 작업 프로세스가 죽었습니다: {e}"
                )
                result = LearnerResult.not_graded(learner.to_dict(), FAILED, died.get(lang), 0.0)
            by_id[learner.id] = result
            progress(result)
    return [by_id[learner.id] for learner in learners]
