"""`snaplab class`, with no daemon anywhere: every mistake is caught before a connection,
and a class whose host is down still gets a gradebook that says so."""

from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from snaplab.errors import ExitCode

NO_DAEMON = "/nonexistent-snaplab"
SOCKET = f"{NO_DAEMON}/unix.socket"
MAX = 14  # the snapshots lab's points

ROSTER = """\
id,name,target
kim,김민지,local
lee,이서준,local
"""


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """Both daemons pointed where none runs; state and remotes in the test's own directory."""
    return {
        "LXD_DIR": NO_DAEMON,
        "INCUS_DIR": NO_DAEMON,
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "SNAPLAB_LANG": "en",
    }


@pytest.fixture
def roster(tmp_path: Path) -> Path:
    path = tmp_path / "ko101.csv"
    path.write_text(ROSTER, encoding="utf-8")
    return path


def one_line_error(r, code: ExitCode) -> str:
    assert r.rc == code, (r.rc, r.err)
    assert len(r.lines) == 1 and r.lines[0].startswith("snaplab:"), r.err
    assert r.out == ""
    return r.lines[0]


# -- refused before anything connects -------------------------------------------------
# (the daemon is absent: a connection would end in exit 3, not 2)


def test_invalid_roster_names_every_bad_line_at_once(cli, env, tmp_path):
    bad = tmp_path / "ko101.csv"
    bad.write_text(
        "id,name,target\nkim,A,local\nlee,B,https://bad host\nKIM,C,local\n", encoding="utf-8"
    )
    out = tmp_path / "book"
    r = cli("class", "grade", str(bad), "--out", str(out), env=env)
    line = one_line_error(r, ExitCode.USAGE)
    assert "(2 errors)" in line
    assert "line 3: target 'https://bad host' is not accepted" in line
    assert "line 4: duplicate id 'KIM' (first on line 2)" in line
    assert not out.exists()


@pytest.mark.parametrize("verb", ["setup", "grade", "teardown"])
def test_unknown_lab(cli, env, roster, verb):
    line = one_line_error(cli("class", verb, str(roster), "--lab", "nope", env=env), ExitCode.USAGE)
    assert "unknown lab 'nope'" in line and "snapshots" in line


@pytest.mark.parametrize("verb", ["grade", "teardown"])
def test_jobs_must_be_positive(cli, env, roster, verb):
    line = one_line_error(cli("class", verb, str(roster), "--jobs", "0", env=env), ExitCode.USAGE)
    assert "--jobs must be 1 or more" in line


def test_setup_jobs_must_be_positive_before_connecting(cli, env, roster):
    line = one_line_error(
        cli("class", "setup", str(roster), "--jobs", "0", env=env), ExitCode.USAGE
    )
    assert "--jobs must be 1 or more" in line


def test_only_an_unknown_learner(cli, env, roster, tmp_path):
    r = cli("class", "grade", str(roster), "--only", "ghost", "--out", str(tmp_path / "b"), env=env)
    line = one_line_error(r, ExitCode.USAGE)
    assert "no learner 'ghost' in class ko101 (2 learners)" in line and str(roster) in line
    assert not (tmp_path / "b").exists()


def test_only_needs_a_gradebook_to_merge_into(cli, env, roster, tmp_path):
    out = tmp_path / "none-yet"
    r = cli("class", "grade", str(roster), "--only", "kim", "--out", str(out), env=env)
    line = one_line_error(r, ExitCode.USAGE)
    assert f"no gradebook in {out}" in line and "grade the whole class first" in line
    assert not out.exists()


def test_class_without_an_action(cli, env):
    line = one_line_error(cli("class", env=env), ExitCode.USAGE)
    assert "ACTION" in line and "snaplab class --help" in line


def test_grade_help_names_its_options(cli, env):
    r = cli("class", "grade", "--help", env=env)
    assert r.rc == 0 and r.err == ""
    for option in ("--jobs", "--timeout", "--only", "--out", "roster"):
        assert option in r.out, option


def test_timeout_must_be_positive(cli, env, roster, tmp_path):
    r = cli(
        "class", "grade", str(roster), "--timeout", "-1", "--jobs", "1",
        "--out", str(tmp_path / "b"), env=env,
    )  # fmt: skip
    line = one_line_error(r, ExitCode.USAGE)
    assert "--timeout" in line


# -- the daemon is down ---------------------------------------------------------------


def test_grade_with_the_daemon_down_writes_a_gradebook_of_unreachables(cli, env, roster, tmp_path):
    out = tmp_path / "book"
    r = cli("class", "grade", str(roster), "--out", str(out), env=env)
    assert r.rc == ExitCode.NOT_PASSING, r.err
    why = f"LXD is not running (no socket at {SOCKET})"

    table = r.out.splitlines()
    for who in ("kim", "lee"):
        row = next(x for x in table if x.split()[:1] == [who])
        assert row.split()[1:3] == ["-", "unreachable"] and why in row
    assert "graded 0 · complete 0 · failed 0 · unreachable 2" in r.out
    assert sorted(p.name for p in out.iterdir()) == [
        "gradebook.csv", "gradebook.json", "junit.xml", "report.html",
    ]  # fmt: skip

    progress = [x for x in r.lines if x.startswith("grade ")]
    assert len(progress) == 2 and progress[-1].endswith("(unreachable 2)")

    with open(out / "gradebook.csv", encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [x["id"] for x in rows] == ["kim", "lee"]
    assert [x["project"] for x in rows] == ["ko101-kim", "ko101-lee"]
    for x in rows:
        assert x["status"] == "unreachable" and x["reason"].startswith(why)
        assert x["total"] == "" and x["max"] == str(MAX)  # empty, never a 0
        assert x["snapshot-taken"] == "" and x["delete-refused"] == ""

    book = json.loads((out / "gradebook.json").read_text(encoding="utf-8"))
    assert book["class_name"] == "ko101" and book["lab"] == "snapshots"
    assert [(x["status"], x["score"], x["steps"]) for x in book["learners"]] == [
        ("unreachable", None, [])
    ] * 2

    suites = ET.parse(out / "junit.xml").getroot()
    assert suites.get("errors") == "2" and suites.get("failures") == "0"


def test_grade_json_output_with_the_daemon_down(cli, env, roster, tmp_path):
    r = cli("class", "grade", str(roster), "--json", "--out", str(tmp_path / "b"), env=env)
    assert r.rc == ExitCode.NOT_PASSING
    doc = json.loads(r.out)
    assert {x["status"] for x in doc["learners"]} == {"unreachable"}
    assert len(doc["files"]) == 4 and doc["notes"] == []


def test_grade_in_korean_with_the_daemon_down(cli, env, roster, tmp_path):
    out = tmp_path / "book"
    r = cli("--lang", "ko", "class", "grade", str(roster), "--out", str(out), env=env)
    assert r.rc == ExitCode.NOT_PASSING
    assert "연결 불가 2" in r.out
    book = json.loads((out / "gradebook.json").read_text(encoding="utf-8"))
    assert book["lang"] == "ko"
    assert all(SOCKET in x["reason"] and "데몬" in x["reason"] for x in book["learners"])


def test_grade_progress_names_each_learner(cli, env, roster, tmp_path):
    r = cli("class", "grade", str(roster), "--out", str(tmp_path / "b"), env=env)
    progress = [x for x in r.lines if x.startswith("grade ")]
    assert sorted(x.split()[2] for x in progress) == ["kim:", "lee:"]


def test_setup_with_the_daemon_down_is_one_line(cli, env, roster, tmp_path):
    r = cli("class", "setup", str(roster), env=env)
    line = one_line_error(r, ExitCode.DAEMON_DOWN)
    assert line == (
        f"snaplab: LXD is not running (no socket at {SOCKET}): "
        "run `sudo snaplab host setup --backend lxd`"
    )
    assert not list((tmp_path / "state").rglob("access.csv"))  # no token was handed out


def test_class_mistakes_in_korean_after_the_verb(cli, env, roster, tmp_path):
    """--lang ko after the action, as after `check`: usage errors and roster errors in Korean."""
    jobs = cli("class", "setup", str(roster), "--jobs", "0", "--lang", "ko", env=env)
    assert one_line_error(jobs, ExitCode.USAGE) == "snaplab: --jobs는 1 이상이어야 합니다"
    bad = tmp_path / "ko101.csv"
    bad.write_text("id,name,target\nkim,A,local\nKIM,B,ftp://x\n", encoding="utf-8")
    r = cli("class", "grade", str(bad), "--lang", "ko", env=env)
    line = one_line_error(r, ExitCode.USAGE)
    assert line.startswith(f"snaplab: {bad}은(는) 올바른 명단이 아닙니다(오류 2개): 3행: ")
    assert "중복된 id 'KIM'입니다(처음 나온 곳: 2행)" in line
    assert "target 'ftp://x'은(는) 쓸 수 없습니다: local 또는 https://HOST[:PORT]" in line


def test_setup_with_the_daemon_down_in_korean(cli, env, roster):
    r = cli("class", "setup", str(roster), env={**env, "SNAPLAB_LANG": "ko"})
    line = one_line_error(r, ExitCode.DAEMON_DOWN)
    assert line.startswith("snaplab: LXD 데몬이 실행 중이 아닙니다")


def test_a_class_result_reads_in_korean():
    from snaplab.classroom.projects import Done
    from snaplab.classroom.roster import Roster
    from snaplab.commands.classroom import ClassResult
    from snaplab.i18n import both

    done = [
        Done("kim", "ko101-kim", [both("project ko101-kim", "프로젝트 ko101-kim")]),
        Done(
            "lee", "ko101-lee", error=both("the daemon refused: x", "데몬이 요청을 거부했습니다: x")
        ),
        Done("park", "ko101-park", kept=both("kept project ko101-park", "프로젝트를 남겼습니다")),
        Done("choi", "ko101-choi"),
    ]
    note = both("recording 1 learner(s)", "학습자 1명의 단계를 기록합니다")
    result = ClassResult("setup", Roster("ko101", Path("ko101.csv"), ()), done, [note])
    assert result.render("ko").splitlines() == [
        "수업 ko101: setup",
        "  완료     kim              프로젝트 ko101-kim",
        "  실패     lee              데몬이 요청을 거부했습니다: x",
        "  남김     park             프로젝트를 남겼습니다",
        "  완료     choi             할 일 없음",
        "  학습자 1명의 단계를 기록합니다",
    ]
    assert result.render("en").splitlines()[2] == "  FAILED lee              the daemon refused: x"
    data = result.to_dict()
    assert data["learners"][0]["actions"] == ["project ko101-kim"]
    assert data["learners"][1]["error"] == "the daemon refused: x"
    assert data["learners"][2]["kept"] == "kept project ko101-park"
    assert data["notes"] == ["recording 1 learner(s)"]
