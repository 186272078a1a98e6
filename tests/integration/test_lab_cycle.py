"""The snapshot lab end to end on the real daemons: full cycle, the chapter verbatim, grading."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from snaplab.testing import own_project
from tests.integration.learner import Learner, statuses

pytestmark = pytest.mark.integration

BACKENDS = ["lxd", "incus"]

# Chapter 8 as printed in the book (../shared/seed), for LXD; the Incus book's own commands.
CHAPTER = {
    "lxd": [
        ("lxc snapshot ubuntu-test ubuntu-test-1", None, True, True),
        ("lxc info ubuntu-test", None, True, True),
        ("lxc exec ubuntu-test bash", ["touch this_file.txt", "exit"], True, True),
        ("lxc stop ubuntu-test", None, True, True),
        ("lxc restore ubuntu-test ubuntu-test-1", None, True, True),
        ("lxc start ubuntu-test", None, True, True),
        ("lxc exec ubuntu-test bash", ["ls this_file.txt", "exit"], True, False),
        ("lxc delete ubuntu-test/ubuntu-test-1", None, True, True),
        ("lxc delete ubuntu-test", None, False, False),
    ],
    "incus": [
        ("incus snapshot create ubuntu-test ubuntu-test-1", None, True, True),
        ("incus info ubuntu-test", None, True, True),
        ("incus shell ubuntu-test", ["touch this_file.txt", "exit"], True, True),
        ("incus stop ubuntu-test", None, True, True),
        ("incus snapshot restore ubuntu-test ubuntu-test-1", None, True, True),
        ("incus start ubuntu-test", None, True, True),
        ("incus shell ubuntu-test", ["ls this_file.txt", "exit"], True, False),
        ("incus snapshot delete ubuntu-test ubuntu-test-1", None, True, True),
        ("incus delete ubuntu-test", None, False, False),
    ],
}
USERS = {"lxd": "lxdadmin", "incus": "incusadmin"}


@pytest.mark.parametrize("backend", BACKENDS)
def test_full_cycle(backend, tmp_path):
    me = Learner(backend, f"cycle-{backend}", tmp_path)
    try:
        r = me.snaplab("start")
        assert r.rc == 0, r.err

        rc, report = me.check()
        assert rc == 1
        assert report["score"] == 0 and report["max_score"] == 14
        assert set(statuses(report).values()) == {"fail", "pending"}
        assert report["steps"][0]["status"] == "fail" and report["steps"][0]["hint"]

        r = me.snaplab("solve")
        assert r.rc == 0, r.err

        rc, report = me.check()
        assert rc == 0, report
        assert report["score"] == report["max_score"] == 14
        assert set(statuses(report).values()) == {"pass"}
        assert {"lab", "backend", "instance", "score", "max_score", "steps"} <= set(report)
        for step in report["steps"]:
            assert {"id", "status", "points", "max_points", "message"} <= set(step)

        junit, js = tmp_path / "grade.xml", tmp_path / "grade.json"
        r = me.snaplab("grade", "--junit", str(junit), "--json", str(js))
        assert r.rc == 0, r.err
        graded = json.loads(js.read_text())
        suite = ET.parse(junit).getroot()
        assert suite.tag == "testsuite"
        assert int(suite.get("tests")) == len(graded["steps"])
        assert int(suite.get("failures")) == 0 and int(suite.get("skipped")) == 0
        props = {p.get("name"): p.get("value") for p in suite.find("properties")}
        assert int(props["score"]) == graded["score"] == 14
        assert [c.get("name") for c in suite.iter("testcase")] == [s["id"] for s in graded["steps"]]

        r = me.snaplab("finish")
        assert r.rc == 0 and me.instance in r.out
    finally:
        me.snaplab("finish")
    again = me.snaplab("finish")
    assert again.rc == 0 and "nothing to remove" in again.out


@pytest.mark.parametrize("backend", BACKENDS)
def test_book_commands_verbatim_as_the_books_user(backend):
    """The book's commands typed exactly as printed (the client's --project aside), by
    lxdadmin / incusadmin, full marks: in a project of the test's own, so that a person's
    own ubuntu-test, or their lab, is neither met nor finished."""
    user = USERS[backend]
    with own_project(backend, "fx-book") as project:
        me = Learner(backend, "ubuntu-test", Path("/nowhere"), user=user, project=project)
        try:
            r = me.snaplab("start")
            assert r.rc == 0, r.err
            for command, stdin, recorded, ok in CHAPTER[backend]:
                done = me.type(command, stdin, recorded=recorded, ok=ok)
                if command.endswith("delete ubuntu-test"):
                    assert "The instance is currently running" in done.stderr
            rc, report = me.check()
            assert rc == 0, report
            assert report["score"] == report["max_score"]
        finally:
            assert me.snaplab("finish").rc == 0


def test_any_snapshot_name_is_accepted(tmp_path):
    me = Learner("lxd", "anyname-lxd", tmp_path)
    try:
        assert me.snaplab("start").rc == 0
        assert me.snaplab("solve", "--snapshot", "before-update").rc == 0
        rc, report = me.check()
        assert rc == 0 and report["snapshot"] == "before-update"
    finally:
        me.snaplab("finish")


@pytest.mark.xdist_group("incus")
def test_korean_report_uses_the_seed_terms(tmp_path):
    me = Learner("incus", "ko-incus", tmp_path, lang="ko")
    try:
        assert me.snaplab("start").rc == 0
        r = me.snaplab("check")
        assert r.rc == 1
        assert "스냅샷" in r.out and "힌트" in r.out and "점수: 0/14" in r.out
        r = me.snaplab("check", "--lang", "en")
        assert "hint" in r.out and "score: 0/14" in r.out
    finally:
        me.snaplab("finish")


@pytest.mark.parametrize("name", ["업그레이드-전", "café.v1_2"])
@pytest.mark.parametrize("backend", BACKENDS)
def test_any_name_the_daemon_accepts_grades_in_full_and_reads_as_typed(tmp_path, backend, name):
    """A Korean name, accents, dots and underscores: the chapter says any name will do."""
    me = Learner(backend, f"name-{backend}", tmp_path)
    with me.started():
        for i, (command, stdin, recorded, ok) in enumerate(CHAPTER[backend]):
            typed = command.replace("ubuntu-test-1", name).replace("ubuntu-test", me.instance)
            me.type(typed, stdin, recorded=recorded, ok=ok)
            if i == 0:  # while they work: the name as typed, never its %-encoding
                r = me.snaplab("check")
                assert name in r.out and "%25" not in r.out and "%C3" not in r.out, r.out
        rc, report = me.check()
        assert rc == 0 and report["score"] == report["max_score"], report
        assert report["snapshot"] == name
        junit = tmp_path / "grade.xml"
        assert me.snaplab("grade", "--junit", str(junit)).rc == 0
        assert name in junit.read_text(encoding="utf-8")


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_percent_in_the_name_reads_as_typed(tmp_path, backend):
    """Both daemons accept `50%`, but neither 5.0/6.0 client can then delete or restore it
    ('invalid URL escape'): no learner can finish the chapter with it, but what they did
    is still graded and shown under the name they typed."""
    me = Learner(backend, f"pct-{backend}", tmp_path)
    with me.started():
        command, stdin, recorded, ok = CHAPTER[backend][0]
        me.type(command.replace("ubuntu-test-1", "50%").replace("ubuntu-test", me.instance))
        rc, report = me.check()
        assert report["snapshot"] == "50%"
        assert statuses(report)["snapshot-taken"] == "pass", report
        assert "50%25" not in me.snaplab("check").out
