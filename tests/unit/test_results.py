"""Step statuses and the exports instructors rely on."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta, timezone

import pytest

from snaplab.lab.grader import results
from snaplab.lab.model import load
from snaplab.lab.results import LabResult

LAB = load("snapshots")
FILL = {"instance": "ubuntu-test", "snapshot": "ubuntu-test-1"}


def graded(passing: set[str]) -> LabResult:
    r = LabResult("snapshots", "lxd", "ubuntu-test", "default", "ubuntu-test-1")
    cmds = {s.id: f"cmd-{s.id}" for s in LAB.steps}
    r.steps = results(LAB, {s.id: s.id in passing for s in LAB.steps}, FILL, cmds)
    return r


def test_first_unfinished_step_fails_with_its_hint_and_later_ones_are_pending():
    r = graded({"snapshot-taken", "snapshot-listed"})
    status = [s.status for s in r.steps]
    assert status[:3] == ["pass", "pass", "fail"] and set(status[3:]) == {"pending"}
    assert r.steps[2].hint is not None and "cmd-file-touched" in r.steps[2].hint.en
    assert all(s.hint is None for s in r.steps if s.status != "fail")
    assert r.score == 3 and r.max_score == LAB.max_score == 14


def test_a_pass_after_a_failure_keeps_its_points():
    r = graded({"snapshot-taken", "file-touched"})
    assert [s.status for s in r.steps][:3] == ["pass", "fail", "pass"]
    assert r.score == 4


def test_json_and_junit_agree():
    r = graded({s.id for s in LAB.steps} - {"snapshot-deleted", "delete-refused"})
    d = r.render("ko")
    json.dumps(d, ensure_ascii=False)
    suite = ET.fromstring(r.to_junit("ko"))
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    assert list(cases) == [s["id"] for s in d["steps"]]
    for s in d["steps"]:
        case = cases[s["id"]]
        assert (case.find("failure") is not None) == (s["status"] == "fail")
        assert (case.find("skipped") is not None) == (s["status"] == "pending")
    props = {p.get("name"): p.get("value") for p in suite.find("properties")}
    assert int(props["score"]) == d["score"] == 11
    assert "스냅샷" in json.dumps(d, ensure_ascii=False)


def test_messages_are_filled_in_both_languages():
    r = graded(set())
    first = r.steps[0]
    assert "ubuntu-test" in first.message.en and "ubuntu-test" in first.message.ko
    assert "{" not in first.hint.en and "{" not in first.hint.ko


def test_stamp_keeps_the_proof_times_of_passed_steps_only():
    r = graded({"snapshot-taken", "file-touched"})
    begun = datetime(2025, 5, 1, 17, 0, tzinfo=timezone(timedelta(hours=9)))  # KST
    proofs = {s.id: begun + timedelta(minutes=i + 1) for i, s in enumerate(LAB.steps)}
    r.stamp(begun, proofs)
    assert r.started == "2025-05-01T08:00:00Z"
    assert [s.proven for s in r.steps][:3] == ["2025-05-01T08:01:00Z", "", "2025-05-01T08:03:00Z"]
    assert all(s.proven == "" for s in r.steps[3:])
    d = r.to_dict()
    assert d["started"] == r.started and d["steps"][0]["proven"] == "2025-05-01T08:01:00Z"
    assert d["steps"][1]["proven"] == ""


def test_the_wire_carries_the_times_and_reads_a_reply_without_them():
    r = graded({"snapshot-taken"})
    r.member = "m2"
    r.stamp(
        datetime(2025, 5, 1, 8, 0, tzinfo=UTC),
        {"snapshot-taken": datetime(2025, 5, 1, 8, 2, tzinfo=UTC)},
    )
    wire = json.loads(json.dumps(r.to_dict()))
    back = LabResult.from_dict(wire)
    assert back == r and back.steps[0].proven == "2025-05-01T08:02:00Z" and back.member == "m2"
    del wire["started"], wire["member"]  # a recorder started by an older snaplab answers so
    for s in wire["steps"]:
        del s["proven"]
    old = LabResult.from_dict(wire)
    assert old.started == "" and old.member == "" and all(s.proven == "" for s in old.steps)
    assert old.score == r.score


def test_the_wire_holds_both_languages_and_a_view_holds_one():
    r = graded({"snapshot-taken"})
    wire = r.to_dict()
    assert set(wire["steps"][0]["message"]) == {"en", "ko"}
    assert wire["steps"][1]["hint"]["ko"] == r.steps[1].hint.ko
    ko = r.render("ko")
    assert ko["steps"][1]["message"] == r.steps[1].message.ko and "hint" not in ko["steps"][0]
    assert (ko["score"], ko["max_score"], ko["complete"]) == (r.score, 14, False)


def test_a_reply_with_an_unknown_status_is_refused():
    wire = graded(set()).to_dict()
    wire["steps"][0]["status"] = "maybe"
    with pytest.raises(ValueError):
        LabResult.from_dict(wire)
