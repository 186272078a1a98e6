"""The live feed's grading (snaplab/classroom/feed.py) with the grade itself stubbed: an event
is on the page before its grade, at most one grade runs at a time, and a burst of events
while one runs costs one more grade of just those learners."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from snaplab.classroom import roster
from snaplab.classroom.feed import Feed
from snaplab.classroom.gradebook import LearnerResult
from snaplab.i18n import same
from snaplab.lab.journal import Entry
from snaplab.lab.model import load
from snaplab.lab.results import LabResult


def feed(tmp_path: Path) -> Feed:
    path = tmp_path / "ko101.csv"
    path.write_text("id,name,target\nkim,A,local\nlee,B,local\npark,C,local\n", encoding="utf-8")
    lab = load("snapshots")
    return Feed(lab, roster.load(path, instance=lab.instance), 300)


def graded_lab() -> LabResult:
    return LabResult("snapshots", "lxd", "ubuntu-test", "p", "s", [])


def event(second: int) -> Entry:
    return Entry(t=f"2026-12-06T09:00:{second:02d}Z", kind="event", action="instance-stopped")


def test_events_during_a_grade_are_one_more_batch_of_just_those_learners(tmp_path):
    f = feed(tmp_path)
    batches: list[list[str]] = []
    running, release = threading.Event(), threading.Event()
    in_flight = []

    def grade(rows, each):  # type: ignore[no-untyped-def]
        in_flight.append(1)
        assert len(in_flight) == 1, "two grades at once"
        batches.append([r.id for r in rows])
        running.set()
        release.wait(5)
        in_flight.pop()
        for r in rows:
            each(LearnerResult.not_graded(r.to_dict(), "failed", same("stub"), 0))

    f.grade = grade  # type: ignore[method-assign]
    heard = []
    f.subscribe(heard.append)
    threading.Thread(target=f._grade_loop, daemon=True).start()
    f.heard("kim", [event(1)])
    assert running.wait(5)
    assert heard[0]["id"] == "kim" and heard[0]["event_t"] == "2026-12-06T09:00:01Z"
    running.clear()
    for second, who in ((2, "lee"), (3, "park"), (4, "lee"), (5, "lee")):
        f.heard(who, [event(second)])
    release.set()
    assert running.wait(5)
    f.stop()
    assert batches[0] == ["kim"]
    assert batches[1] == ["lee", "park"]  # roster order, each once
    assert f.dirty == {}


def test_the_earliest_event_of_a_batch_is_when_its_steps_were_proven(tmp_path):
    f = feed(tmp_path)
    f.heard("kim", [event(9)])
    f.heard("kim", [event(3)])  # arrived later, happened earlier
    assert f.dirty["kim"] is not None and f.dirty["kim"].second == 3


def test_an_event_heard_twice_is_one_message(tmp_path):
    f = feed(tmp_path)
    heard = []
    f.subscribe(heard.append)
    f.heard("kim", [event(1)])
    f.heard("kim", [event(1)])
    assert len(heard) == 1


def test_an_event_heard_before_its_probe_is_shown_at_once_and_graded_once_written(tmp_path):
    """The recorder tells of an event before it probes the container, which waits on the
    daemon: the row shows it then; the grade waits for the entry as written."""
    f = feed(tmp_path)
    heard = []
    f.subscribe(heard.append)
    f.heard("kim", [event(1)], written=False)
    assert [m["event_t"] for m in heard] == ["2026-12-06T09:00:01Z"]  # on the page
    assert "kim" not in f.dirty  # the journal has it not yet: no grade
    f.heard("kim", [event(1)])  # written, probed
    assert len(heard) == 1  # not shown twice
    assert f.dirty["kim"] is not None and f.dirty["kim"].second == 1  # now graded


def test_a_learner_not_graded_is_tried_again_with_no_event_of_theirs(tmp_path, monkeypatch):
    monkeypatch.setattr("snaplab.classroom.feed.REGRADE", 0.05)
    f = feed(tmp_path)
    tries: list[list[str]] = []
    again = threading.Event()

    def grade(rows, each):  # type: ignore[no-untyped-def]
        tries.append([r.id for r in rows])
        if len(tries) == 2:
            again.set()
        for r in rows:
            each(LearnerResult.not_graded(r.to_dict(), "unreachable", same("host down"), 0))

    f.grade = grade  # type: ignore[method-assign]
    threading.Thread(target=f._grade_loop, daemon=True).start()
    f.heard("kim", [event(1)])
    assert again.wait(5)  # kim again, though nothing more was heard of kim
    f.stop()
    assert tries[:2] == [["kim"], ["kim"]]


def test_a_try_again_is_a_pass_of_its_own_after_the_news_and_backs_off(tmp_path, monkeypatch):
    monkeypatch.setattr("snaplab.classroom.feed.REGRADE", 0.05)
    monkeypatch.setattr("snaplab.classroom.feed.REGRADE_MAX", 0.1)
    f = feed(tmp_path)
    batches: list[list[str]] = []
    first, release, third = threading.Event(), threading.Event(), threading.Event()

    def grade(rows, each):  # type: ignore[no-untyped-def]
        batches.append([r.id for r in rows])
        if len(batches) == 1:
            first.set()
            release.wait(5)
        if len(batches) == 3:
            third.set()
        for r in rows:
            if r.id == "kim":
                each(LearnerResult.not_graded(r.to_dict(), "unreachable", same("host down"), 0))
            else:
                each(LearnerResult.graded(r.to_dict(), graded_lab(), 0))

    f.grade = grade  # type: ignore[method-assign]
    threading.Thread(target=f._grade_loop, daemon=True).start()
    f.heard("kim", [event(1)])
    assert first.wait(5)
    f.heard("lee", [event(2)])  # news while kim's pass runs
    release.set()
    assert third.wait(5)
    for _ in range(500):  # the third pass's result is taken in after its grade returns
        if f.again.get("kim", (0.0, 0.0))[1] == 0.1:
            break
        time.sleep(0.01)
    f.stop()
    # lee's news alone, then kim tried again alone: a host that is off never holds up news
    assert batches[:3] == [["kim"], ["lee"], ["kim"]]
    assert f.again["kim"][1] == 0.1 and "lee" not in f.again  # backed off, up to the most


def test_each_learners_grade_is_on_the_page_before_the_batch_ends(tmp_path):
    """A batch's grade hands each learner's result on as their checks end: kim's row is
    graded while lee's, later in the roster, is still being graded (a daemon in a storm)."""
    f = feed(tmp_path)
    kim_out, release, done = threading.Event(), threading.Event(), threading.Event()

    def grade(rows, each):  # type: ignore[no-untyped-def]
        for r in rows:
            each(LearnerResult.graded(r.to_dict(), graded_lab(), 0))
            kim_out.set()
            release.wait(5)
        done.set()

    f.grade = grade  # type: ignore[method-assign]
    news = []
    f.subscribe(news.append)
    f.heard("kim", [event(1)])
    f.heard("lee", [event(2)])  # both before the grading thread starts: one batch
    threading.Thread(target=f._grade_loop, daemon=True).start()
    assert kim_out.wait(5)
    row = f.row("kim", "en")
    assert row["state"] == "graded" and f.row("lee", "en")["state"] == "waiting"
    assert f.snapshot("en")["to_grade"] == 1  # lee's grade still to come
    assert [m["graded_since"] for m in news if "graded_since" in m] == ["2026-12-06T09:00:01+00:00"]
    release.set()
    assert done.wait(5)
    f.stop()
