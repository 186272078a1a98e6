"""The class gradebook: a learner we could not grade is never a zero, in any format."""

from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from snaplab.classroom.gradebook import (
    FAILED,
    FILES,
    GRADED,
    UNREACHABLE,
    Gradebook,
    LearnerResult,
    read,
    write,
)
from snaplab.errors import ExitCode, SnaplabError
from snaplab.i18n import Text, same
from snaplab.lab.results import LabResult, StepResult

STEPS = [
    {"id": "snapshot-taken", "title": "Take a snapshot", "max_points": 2},
    {"id": "file-touched", "title": "Change a file", "max_points": 3},
    {"id": "restored", "title": "Restore", "max_points": 5},
]


def learner(id: str, name: str) -> dict[str, str]:
    return {
        "id": id,
        "name": name,
        "target": "classroom",
        "project": f"lab-{id}",
        "backend": "incus",
        "instance": "ubuntu-test",
    }


START = "2025-05-01T08:00:00Z"
TAKEN = "2025-05-01T08:12:30Z"  # 12.5 minutes after START


def lab_result() -> LabResult:
    r = LabResult("snapshots", "incus", "ubuntu-test", "lab-s01", "ubuntu-test-1", started=START)
    r.steps = [
        StepResult(
            "snapshot-taken",
            Text("Take", "생성"),
            "pass",
            2,
            2,
            Text("taken", "생성됨"),
            None,
            TAKEN,
        ),
        StepResult(
            "file-touched",
            Text("Change", "변경"),
            "fail",
            0,
            3,
            Text("no file", "파일 없음"),
            Text("run touch", "touch를 실행하세요"),
        ),
        StepResult("restored", Text("Restore", "복원"), "pending", 0, 5, Text("later", "나중에")),
    ]
    r.notes = [Text("note", "참고")]
    return r


CRASHED = Text("check crashed: boom", "검사가 멈췄습니다: boom")


def book(lang: str = "en") -> Gradebook:
    return Gradebook(
        class_name="os-2025",
        lab="snapshots",
        steps=[dict(s) for s in STEPS],
        learners=[
            LearnerResult.graded(learner("s01", "<b>Kim</b>"), lab_result(), 1.23456),
            LearnerResult.not_graded(learner("s02", "김민준"), FAILED, CRASHED, 0.5),
            LearnerResult.not_graded(learner("s03", "Lee"), UNREACHABLE, same("host down"), 3.0),
        ],
        lang=lang,
        generated_at="2025-05-01T09:00:00Z",
    )


def test_a_graded_learner_keeps_both_languages_and_renders_one():
    r = LearnerResult.graded(learner("s01", "Kim"), lab_result(), 1.23456)
    assert r.status == GRADED and (r.score, r.max_score) == (2, 10)
    assert r.steps[0].message == Text("taken", "생성됨")
    row = r.render("ko")
    assert row["reason"] == "" and (row["score"], row["max_score"]) == (2, 10)
    assert [s["message"] for s in row["steps"]] == ["생성됨", "파일 없음", "나중에"]
    assert row["steps"][1]["hint"] == "touch를 실행하세요" and row["steps"][0]["hint"] == ""
    assert row["notes"] == ["참고"] and row["seconds"] == 1.235
    assert row["graded_at"].endswith("Z") and row["project"] == "lab-s01"
    assert row["snapshot"] == "ubuntu-test-1" and not row["complete"]
    assert r.render("en")["steps"][1]["hint"] == "run touch"


def test_a_reason_is_in_the_language_of_the_book(tmp_path: Path):
    assert book("ko").rows()[1]["reason"] == CRASHED.ko
    assert book("en").rows()[1]["reason"] == CRASHED.en


def test_not_graded_has_no_score_and_refuses_a_graded_status():
    r = LearnerResult.not_graded(learner("s03", "Lee"), UNREACHABLE, same("host down"), 3.0)
    assert r.score is None and r.max_score is None and r.steps == []
    with pytest.raises(ValueError):
        LearnerResult.not_graded(learner("s03", "Lee"), GRADED, same(""), 0.0)


def test_counts_a_learner_complete_only_when_every_step_passes():
    b = book()
    assert b.counts() == {"graded": 1, "failed": 1, "unreachable": 1, "complete": 0}
    done = lab_result()
    for s in done.steps:
        s.status, s.points = "pass", s.max_points
    b.learners.append(LearnerResult.graded(learner("s04", "Park"), done, 1.0))
    assert b.counts() == {"graded": 2, "failed": 1, "unreachable": 1, "complete": 1}


def test_write_creates_the_four_files(tmp_path: Path):
    paths = write(book(), tmp_path / "out" / "book")
    assert sorted(p.name for p in paths) == sorted(FILES.values())
    assert all(p.is_file() and p.stat().st_size > 0 for p in paths)
    assert not list((tmp_path / "out" / "book").glob("*.tmp")) and not list(
        (tmp_path / "out" / "book").glob(".*.tmp")
    )


def test_csv_leaves_the_not_graded_empty_not_zero(tmp_path: Path):
    write(book(), tmp_path)
    raw = (tmp_path / FILES["csv"]).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM for spreadsheet programs
    rows = list(csv.DictReader((tmp_path / FILES["csv"]).open(encoding="utf-8-sig", newline="")))
    assert list(rows[0]) == [
        "id", "name", "target", "project", "backend", "instance", "status", "reason",
        "snapshot-taken", "file-touched", "restored", "total", "max",
        "started", "snapshot-taken min", "file-touched min", "restored min",
    ]  # fmt: skip
    kim, min_jun, lee = rows
    assert [kim[s["id"]] for s in STEPS] == ["2", "0", "0"]
    assert kim["started"] == START
    assert [kim[f"{s['id']} min"] for s in STEPS] == ["12.5", "", ""]
    assert (kim["total"], kim["max"], kim["status"]) == ("2", "10", "graded")
    assert min_jun["name"] == "김민준" and min_jun["reason"] == "check crashed: boom"
    for row, status in ((min_jun, FAILED), (lee, UNREACHABLE)):
        assert row["status"] == status
        assert [row[s["id"]] for s in STEPS] == ["", "", ""] and row["total"] == ""
        assert row["max"] == "10"
        assert row["started"] == "" and [row[f"{s['id']} min"] for s in STEPS] == ["", "", ""]


def test_a_proven_step_keeps_its_time_and_minutes_from_the_start():
    row = LearnerResult.graded(learner("s01", "Kim"), lab_result(), 1.0).render("en")
    assert row["started"] == START
    assert [(s["proven"], s["minutes"]) for s in row["steps"]] == [
        (TAKEN, 12.5), ("", None), ("", None)
    ]  # fmt: skip


def test_json_says_when_each_step_was_proven(tmp_path: Path):
    write(book(), tmp_path)
    kim = json.loads((tmp_path / FILES["json"]).read_text(encoding="utf-8"))["learners"][0]
    assert kim["started"] == START
    assert kim["steps"][0]["proven"] == TAKEN and kim["steps"][0]["minutes"] == 12.5
    assert kim["steps"][1]["proven"] == "" and kim["steps"][1]["minutes"] is None


def test_a_book_written_before_times_were_kept_still_reads(tmp_path: Path):
    old = book().to_dict()
    for r in old["learners"]:
        del r["started"]
        for s in r["steps"]:
            del s["proven"], s["minutes"]
    (tmp_path / FILES["json"]).write_text(json.dumps(old), encoding="utf-8")
    b = read(tmp_path)
    assert b is not None and b.learners[0].score == 2
    kim = b.rows()[0]
    assert kim["started"] == "" and all(
        s["proven"] == "" and s["minutes"] is None for s in kim["steps"]
    )
    write(b, tmp_path)  # a `--only` rerun rewrites every format from it
    kim = next(csv.DictReader((tmp_path / FILES["csv"]).open(encoding="utf-8-sig", newline="")))
    assert kim["total"] == "2" and kim["snapshot-taken min"] == ""


def test_json_round_trips(tmp_path: Path):
    b = book("ko")
    write(b, tmp_path)
    text = (tmp_path / FILES["json"]).read_text(encoding="utf-8")
    assert "김민준" in text  # ensure_ascii=False
    again = read(tmp_path)
    assert again is not None and again.to_dict() == b.to_dict()
    assert Gradebook.from_dict(json.loads(text)).to_dict() == json.loads(text)
    write(again, tmp_path)  # a `--only` rerun writes the same book from it
    assert (tmp_path / FILES["json"]).read_text(encoding="utf-8") == text


def test_junit_has_a_suite_per_learner_and_an_error_for_the_not_graded(tmp_path: Path):
    write(book(), tmp_path)
    root = ET.fromstring((tmp_path / FILES["junit"]).read_bytes())
    assert root.tag == "testsuites" and root.get("name") == "snaplab.os-2025.snapshots"
    assert {k: root.get(k) for k in ("tests", "failures", "errors", "skipped")} == {
        "tests": "5",
        "failures": "1",
        "errors": "2",
        "skipped": "1",
    }
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["s01", "s02", "s03"]
    props = {p.get("name"): p.get("value") for p in suites[0].iter("property")}
    assert props["name"] == "<b>Kim</b>" and props["score"] == "2" and props["max_score"] == "10"
    cases = suites[0].findall("testcase")
    assert [c.get("name") for c in cases] == [s["id"] for s in STEPS]
    failure = cases[1].find("failure")
    assert failure is not None and failure.get("message") == "no file"
    assert failure.text == "run touch"
    assert cases[2].find("skipped") is not None and cases[0].find("*") is None
    (case,) = suites[2].findall("testcase")
    error = case.find("error")
    assert case.get("name") == "grading" and error is not None
    assert error.get("type") == UNREACHABLE and error.get("message") == "host down"
    assert {p.get("name"): p.get("value") for p in suites[2].iter("property")}["score"] == ""


def test_html_escapes_names_and_marks_the_not_graded(tmp_path: Path):
    write(book(), tmp_path)
    html = (tmp_path / FILES["html"]).read_text(encoding="utf-8")
    assert "&lt;b&gt;Kim&lt;/b&gt;" in html and "<b>Kim</b>" not in html
    assert "김민준" in html
    assert "check crashed: boom" in html and "host down" in html
    assert 'colspan="3"' in html and 'title="no file"' in html
    assert "<script" not in html and "http" not in html  # self-contained
    assert "Learner" in html and "Total" in html
    assert f'title="{TAKEN}">12.5 min</small>' in html and f'title="{START}">s01' in html
    assert "minutes from each learner" in html


def test_html_speaks_korean(tmp_path: Path):
    write(book("ko"), tmp_path)
    html = (tmp_path / FILES["html"]).read_text(encoding="utf-8")
    for label in (
        "학습자",
        "이름",
        "대상",
        "상태",
        "합계",
        "채점됨",
        "완료",
        "실패",
        "연결 불가",
        "사유",
        "12.5 분",
        "시작한 뒤",
    ):
        assert label in html, label
    assert "Learner" not in html


def test_merge_replaces_only_the_fresh_learner(tmp_path: Path):
    old = book()
    before = {r.id: json.dumps(r.render("en"), ensure_ascii=False) for r in old.learners}
    fresh = LearnerResult.graded(learner("s03", "Lee"), lab_result(), 2.0)
    new = old.merge([fresh, LearnerResult.not_graded(learner("s04", "Park"), FAILED, same("x"), 0)])
    assert [r.id for r in new.learners] == ["s01", "s02", "s03", "s04"]
    assert new.learners[2] == fresh and new.learners[2].status == GRADED
    for r in new.learners[:2]:
        assert json.dumps(r.render("en"), ensure_ascii=False) == before[r.id]
    assert [r.status for r in old.learners] == [GRADED, FAILED, UNREACHABLE]  # old untouched
    assert new.generated_at != old.generated_at
    assert new.counts() == {"graded": 2, "failed": 2, "unreachable": 0, "complete": 0}


def test_read_a_missing_book_is_none(tmp_path: Path):
    assert read(tmp_path / "nowhere") is None
    assert read(tmp_path) is None


@pytest.mark.parametrize("body", ["{not json", '{"class_name": "x"}', "[1, 2]", '"text"'])
def test_read_a_corrupt_book_says_which_file(tmp_path: Path, body: str):
    (tmp_path / FILES["json"]).write_text(body, encoding="utf-8")
    with pytest.raises(SnaplabError) as e:
        read(tmp_path)
    assert e.value.code == ExitCode.USAGE
    message = e.value.render("en")
    assert str(tmp_path / FILES["json"]) in message and "--only" in message
    assert "\n" not in message
