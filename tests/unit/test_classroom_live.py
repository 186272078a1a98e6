"""The live class state (snaplab/classroom/live.py), fed by hand: journal entries as the
recorder writes them, grades as `class grade` gives them, a clock passed in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from snaplab.classroom.gradebook import LearnerResult
from snaplab.classroom.live import ClassState, Learner, Step, help_order, words
from snaplab.i18n import both, same
from snaplab.lab.journal import Entry
from snaplab.lab.results import LabResult, StepResult

T0 = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
STEPS = [Step(f"s{i}", both(f"step {i}", f"단계 {i}"), 2) for i in range(1, 6)]
WHO = {"target": "local", "project": "p", "backend": "lxd", "instance": "ubuntu-test"}


def at(seconds: float) -> str:
    return (T0 + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


def state(*ids: str, stuck_after: float = 300) -> ClassState:
    people = [Learner(i, f"name {i}", "lxd") for i in ids]
    s = ClassState("ko101", "snapshots", STEPS, people, stuck_after)
    for i in ids:
        s.began(i, [Entry(t=at(0), kind="start", created_at="c")])
    return s


def grade(learner: str, passed: int) -> LearnerResult:
    steps = [
        StepResult(s.id, s.title, "pass" if n < passed else "fail" if n == passed else "pending",
                   2 if n < passed else 0, 2, both(f"msg {n} en", f"msg {n} ko"),
                   both(f"hint {n} en", f"hint {n} ko") if n == passed else None)
        for n, s in enumerate(STEPS)
    ]  # fmt: skip
    result = LabResult("snapshots", "lxd", "ubuntu-test", "p", "before", steps)
    return LearnerResult(learner, learner, status="graded", result=result, **WHO)


def down(learner: str) -> LearnerResult:
    return LearnerResult(learner, learner, status="unreachable", reason=same("host down"), **WHO)


def snap(t: float, name: str = "before") -> Entry:
    return Entry(t=at(t), kind="event", action="instance-snapshot-created", snapshot=name)


def test_an_event_is_on_the_timeline_and_in_last_activity_before_any_grade():
    s = state("kim")
    assert s.event("kim", snap(30, "업그레이드-전"))
    page = s.learner("kim", T0 + timedelta(seconds=31), "en")
    assert page["timeline"] == [
        {"t": "2026-12-06T09:00:30.000Z", "what": "snapshot 업그레이드-전 created"}
    ]
    assert page["last_activity"] == "2026-12-06T09:00:30.000Z"
    assert page["state"] == "waiting" and page["score"] == ""


def test_snaplabs_own_reads_and_observations_are_not_the_learners():
    s = state("kim")
    assert not s.event("kim", Entry(t=at(5), kind="event", action="instance-exec", own=True))
    assert not s.event("kim", Entry(t=at(5), kind="observe"))
    assert not s.event("ghost", snap(5))
    assert s.learner("kim", T0, "en")["timeline"] == []


def test_an_event_heard_twice_socket_and_journal_is_written_once():
    s = state("kim")
    s.event("kim", snap(30))
    s.began("kim", [Entry(t=at(0), kind="start"), snap(30)])  # the journal re-read
    s.event("kim", snap(30))
    assert len(s.learner("kim", T0, "en")["timeline"]) == 1


def test_words_in_both_languages():
    e = Entry(t=at(1), kind="event", action="info-requested")
    assert words(e).get("en") == "info requested" and words(e).get("ko") == "정보를 조회함"
    stop = Entry(t=at(1), kind="event", action="instance-stopped")
    assert (words(stop).get("en"), words(stop).get("ko")) == ("stopped", "중지함")
    odd = Entry(t=at(1), kind="event", action="instance-frobbed")
    assert words(odd).get("en") == "frobbed"


def test_a_grade_sets_score_step_and_the_time_each_step_was_proven():
    s = state("kim")
    s.event("kim", snap(30))
    assert s.graded(grade("kim", 1), since=T0 + timedelta(seconds=30))
    row = s.row("kim", T0 + timedelta(seconds=40), "en", s.median_done())
    assert row["score"] == "2/10" and row["step"] == 2 and row["step_title"] == "step 2"
    assert row["on_step_since"] == "2026-12-06T09:00:30.000Z"
    page = s.learner("kim", T0, "en")
    assert page["checklist"][0]["proven"] == "2026-12-06T09:00:30.000Z"
    assert page["checklist"][1]["hint"] == "hint 1 en" and page["checklist"][0]["hint"] == ""
    assert s.funnel() == [1, 0, 0, 0, 0]


def test_the_same_grade_again_is_no_change():
    s = state("kim")
    s.graded(grade("kim", 1), since=T0)
    assert not s.graded(grade("kim", 1), since=T0 + timedelta(seconds=9))
    assert s.learner("kim", T0, "en")["checklist"][0]["proven"] == "2026-12-06T09:00:00.000Z"


def test_a_step_undone_loses_its_proven_time():
    s = state("kim")
    s.graded(grade("kim", 2), since=T0 + timedelta(seconds=10))
    s.graded(grade("kim", 1), since=T0 + timedelta(seconds=20))
    page = s.learner("kim", T0, "en")
    assert page["checklist"][0]["proven"] and not page["checklist"][1]["proven"]


def test_stuck_after_the_time_with_no_step_proven():
    s = state("kim", stuck_after=300)
    s.graded(grade("kim", 1), since=T0 + timedelta(seconds=60))
    m = s.median_done()
    assert not s.row("kim", T0 + timedelta(seconds=359), "en", m)["stuck"]
    row = s.row("kim", T0 + timedelta(seconds=360), "en", m)
    assert row["stuck"] and row["stuck_at"] == "2026-12-06T09:06:00.000Z"


def test_stuck_when_far_behind_the_class_median():
    s = state("a", "b", "c", "slow")
    for i in ("a", "b", "c"):
        s.graded(grade(i, 4), since=T0)
    s.graded(grade("slow", 1), since=T0)
    rows = {r["id"]: r for r in s.rows(T0 + timedelta(seconds=1), "en")}
    assert rows["slow"]["stuck"] and rows["slow"]["behind"]
    assert not rows["a"]["stuck"]
    assert help_order(list(rows.values()))[0]["id"] == "slow"


def test_a_finished_learner_is_never_stuck():
    s = state("kim", stuck_after=1)
    s.graded(grade("kim", 5), since=T0)
    row = s.row("kim", T0 + timedelta(hours=2), "en", s.median_done())
    assert row["complete"] and not row["stuck"] and row["step"] is None


def test_unreachable_is_never_zero_and_never_stuck():
    s = state("kim", "lee", stuck_after=1)
    s.graded(grade("kim", 3), since=T0)
    s.graded(down("lee"), since=None)
    row = s.row("lee", T0 + timedelta(hours=1), "en", s.median_done())
    assert row["state"] == "unreachable" and row["score"] == "" and row["points"] is None
    assert not row["stuck"] and row["reason"] == "host down"
    book = s.snapshot(T0, "en")
    lee = next(x for x in book["learners"] if x["id"] == "lee")
    assert lee["score"] is None and lee["status"] == "unreachable"
    assert s.median_done() == 3  # only the graded count toward the median


def test_a_learner_once_graded_then_unreachable_shows_no_stale_score():
    s = state("kim")
    s.graded(grade("kim", 3), since=T0)
    s.graded(down("kim"), since=None)
    row = s.row("kim", T0, "en", 0)
    assert row["score"] == "" and row["state_label"] == "unreachable"
    assert s.funnel() == [0, 0, 0, 0, 0]


def test_snapshot_has_the_gradebook_shape_plus_live_fields():
    s = state("kim")
    s.graded(grade("kim", 2), since=T0)
    book = s.snapshot(T0, "en")
    assert {"class", "lab", "steps", "learners", "funnel"} <= set(book)
    kim = book["learners"][0]
    assert kim["score"] == 4 and kim["max_score"] == 10 and kim["steps"][0]["status"] == "pass"
    assert kim["live"]["score"] == "4/10"


def test_korean_rows_use_the_korean_grade_and_titles():
    s = state("kim")
    s.graded(grade("kim", 1), since=T0)
    page = s.learner("kim", T0, "ko")
    assert page["step_title"] == "단계 2" and page["checklist"][1]["hint"] == "hint 1 ko"
    assert page["checklist"][0]["message"] == "msg 0 ko"
    assert s.learner("kim", T0, "en")["checklist"][1]["hint"] == "hint 1 en"
    assert page["state_label"] == "채점됨"


def test_a_learner_on_a_cluster_member_shows_where():
    s = state("kim", "lee")
    on_m2 = grade("kim", 1)
    on_m2.result.member = "m2"
    s.graded(on_m2, since=T0)
    s.graded(grade("lee", 1), since=T0)
    assert s.row("kim", T0, "en", 1)["daemon"] == "lxd · m2"
    assert s.row("lee", T0, "en", 1)["daemon"] == "lxd"
    assert s.snapshot(T0, "en")["learners"][0]["member"] == "m2"
