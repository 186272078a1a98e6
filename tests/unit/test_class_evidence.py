"""A class's evidence in one pass (snaplab/classroom/evidence.py), on a fake daemon."""

from __future__ import annotations

import pytest

from snaplab.classroom import evidence
from snaplab.errors import ExitCode, SnaplabError
from snaplab.lab.entries import MARK, MARKED
from snaplab.lab.graded import Graded
from snaplab.lab.journal import Entry
from tests.unit.fake_class import (
    FILE,
    LAB,
    Daemon,
    at,
    holding,
    learner,
    started,
    two_started,
    wire,
)


@pytest.fixture(autouse=True)
def state(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))


def one_started(monkeypatch) -> tuple:
    """kim, with a started lab and her container on a fake LXD: the daemon, and kim."""
    lxd = Daemon()
    kim = learner("kim")
    lxd.holds(kim)
    started(kim)
    wire(monkeypatch, {"lxd": lxd})
    return lxd, kim


def listings(daemon: Daemon) -> list:
    """The daemon's listings, each without the word it carries for the learner's recorder."""
    return [(a[0], a[1], {k: v for k, v in a[2].items() if k != MARK})
            for a in daemon.asked if not a[0].endswith("/files")]  # fmt: skip


def test_each_daemon_is_asked_once_for_the_snapshots_and_once_for_each_learner(monkeypatch):
    lxd, incus = Daemon(), Daemon()
    kim, lee, park = learner("kim"), learner("lee"), learner("park", "incus")
    lxd.holds(kim, ("snap",), file=True)
    lxd.holds(lee)
    incus.holds(park, ("a", "b"))
    started(kim, ("snap",))
    started(lee)
    started(park, ("a", "b"))
    wire(monkeypatch, {"lxd": lxd, "incus": incus})

    found = evidence.read(LAB, [kim, lee, park], timeout=5)

    snapshots = [
        ("/1.0/storage-pools", None, {}),
        ("/1.0/storage-pools/default/volumes", None, {"recursion": 1, "all-projects": "true"}),
    ]
    # the snapshots first, in one request a pool; then each learner's project, at recursion=1
    assert listings(lxd)[:2] == snapshots and listings(incus)[:2] == snapshots
    assert sorted(listings(lxd)[2:]) == [
        ("/1.0/instances", p, {"recursion": 1}) for p in ("h1t-kim", "h1t-lee")
    ]
    assert listings(incus)[2:] == [("/1.0/instances", "h1t-park", {"recursion": 1})]
    # each project's listing carries a word of its own, for that learner's recorder
    words = [a[2].get(MARK) for a in lxd.asked + incus.asked if a[0] == "/1.0/instances"]
    assert all(words) and len(set(words)) == 3
    live = {i: g.evidence.history.live for i, g in found.items() if isinstance(g, Graded)}
    assert set(live) == {"kim", "lee", "park"}
    assert live["kim"].snapshots == {"snap": ""}
    assert live["lee"].snapshots == {} and live["park"].snapshots.keys() == {"a", "b"}
    # the file is asked through the files API, in the learner's own project: no exec; and
    # only of those who took a snapshot (the lab's files_after): lee's tells no check anything
    assert live["kim"].files == {FILE: True} and live["park"].files == {FILE: False}
    assert live["lee"].files == {}
    looks = [a[:2] for a in lxd.asked + incus.asked if a[0].endswith("/files")]
    assert sorted(looks) == [
        ("/1.0/instances/ubuntu-test/files", p) for p in ("h1t-kim", "h1t-park")
    ]


def test_a_learner_is_read_while_the_daemon_still_lists_the_others(monkeypatch):
    """A class's first learner is graded before the daemon has listed the 200th."""
    lxd, kim, lee = two_started(monkeypatch)
    held = holding(monkeypatch, lxd, lee.project)
    reading = evidence.start(LAB, [kim, lee], timeout=5)
    assert isinstance(reading["kim"].result(timeout=10), Graded)
    assert not reading["lee"].done()
    held.set()
    assert isinstance(reading["lee"].result(timeout=10), Graded)


def test_what_was_seen_goes_into_each_learners_own_journal(monkeypatch):
    lxd = Daemon()
    kim, lee = learner("kim"), learner("lee")
    lxd.holds(kim, ("snap",))
    lxd.holds(lee, file=True)
    started(kim, ("snap",))
    started(lee, ("deleted-since",))
    wire(monkeypatch, {"lxd": lxd})
    evidence.read(LAB, [kim, lee], timeout=5)
    seen = {
        who.id: [e for e in who.session(LAB.id).entries() if e.kind == "observe"]
        for who in (kim, lee)
    }
    assert [(e.snapshots, e.files) for e in seen["kim"]] == [(["snap"], {FILE: False})]
    assert [(e.snapshots, e.files) for e in seen["lee"]] == [([], {FILE: True})]


def kim_and_lee(monkeypatch, lxd: Daemon) -> dict:
    """kim took a snapshot, lee did not: what the class's read found, and the daemon."""
    kim, lee = learner("kim"), learner("lee")
    lxd.holds(kim, ("snap",))
    lxd.holds(lee)
    started(kim)
    started(lee)
    wire(monkeypatch, {"lxd": lxd})
    return {**evidence.read(LAB, [kim, lee], timeout=5), "daemon": lxd}


def test_a_daemon_refusing_all_projects_gives_each_projects_snapshots_with_it(monkeypatch):
    found = kim_and_lee(monkeypatch, Daemon(all_projects=False))
    lxd = found.pop("daemon")
    asked = listings(lxd)
    volumes = ("/1.0/storage-pools/default/volumes", None, {"recursion": 1, "all-projects": "true"})
    assert asked[1] == volumes  # refused
    assert sorted(asked[2:]) == [
        ("/1.0/instances", "h1t-kim", {"recursion": 2}),
        ("/1.0/instances", "h1t-lee", {"recursion": 2}),
    ]
    assert found["kim"].evidence.history.live.snapshots.keys() == {"snap"}
    assert found["lee"].evidence.history.live.snapshots == {}


def test_each_learner_who_cannot_be_read_says_why_and_stops_no_one(monkeypatch):
    lxd = Daemon()
    kim, idle, gone, far = learner("kim"), learner("idle"), learner("gone"), learner("far", "incus")
    lxd.holds(kim)
    lxd.holds(idle)
    started(kim)
    started(gone)  # started, but their container is not there any more
    down = SnaplabError("Incus is not running", ExitCode.DAEMON_DOWN)
    wire(monkeypatch, {"lxd": lxd, "incus": down})

    found = evidence.read(LAB, [kim, idle, gone, far], timeout=5)

    assert isinstance(found["kim"], Graded)
    assert isinstance(found["idle"], SnaplabError) and "not been started" in str(found["idle"])
    assert isinstance(found["gone"], SnaplabError) and "is gone" in str(found["gone"])
    assert found["far"] is down
    assert len(listings(lxd)) == 2 + 3  # the snapshots, then kim's, idle's and gone's projects


def test_the_container_is_not_connected_until_a_check_asks(monkeypatch):
    _, kim = one_started(monkeypatch)
    made = []
    monkeypatch.setattr(evidence, "container", lambda who, timeout: made.append(who) or who)
    host = evidence.read(LAB, [kim], timeout=5)["kim"].evidence.host
    assert made == []
    assert host.project == "h1t-kim" and made == [kim]  # asked: connected, once
    assert host.instance == "ubuntu-test" and made == [kim]


def test_a_check_waits_for_its_own_learner_only(monkeypatch):
    """`class grade` runs each learner's checks while the rest of the class is still read."""
    import threading

    from snaplab.lab.graded import Class

    _, kim, lee = two_started(monkeypatch)
    held = threading.Event()
    read = evidence.looked_at

    def slow(lab, who, daemon, timeout):
        if who.id == "lee":
            assert held.wait(5)
        return read(lab, who, daemon, timeout)

    monkeypatch.setattr(evidence, "looked_at", slow)
    klass = Class(LAB, [kim, lee], evidence.start(LAB, [kim, lee], timeout=5))
    assert isinstance(klass.of("kim"), Graded)  # while lee's read is held
    assert not klass.found["lee"].done()
    held.set()
    assert isinstance(klass.of("lee"), Graded)


def test_the_learners_cluster_member_is_in_their_result(monkeypatch):
    lxd = Daemon()
    kim, lee = learner("kim"), learner("lee")
    lxd.holds(kim, on="m2")
    lxd.holds(lee)  # a daemon that is no cluster says "none"
    started(kim)
    started(lee)
    wire(monkeypatch, {"lxd": lxd})
    found = evidence.read(LAB, [kim, lee], timeout=5)
    assert {i: g.base.member for i, g in found.items() if isinstance(g, Graded)} == {
        "kim": "m2",
        "lee": "",
    }


def recording(monkeypatch) -> None:
    """Each learner's recorder is running, and writes a read's mark down (or would)."""
    monkeypatch.setattr(evidence.recorder, "alive", lambda session: True)
    monkeypatch.setattr(evidence, "marks_heard", lambda session: True)


def hearing(lxd: Daemon, who, typed: Entry | None = None) -> list[str]:
    """Their recorder: it writes down each word it hears on a read of theirs, after
    `typed`, a command typed just before the grade (written once). The words, in order."""
    session = who.session(LAB.id)
    words = []

    def heard(project, word):
        assert project == who.project
        if typed and not words:
            session.append(typed)
        words.append(word)
        session.append(Entry(t=at(6 + len(words)), kind=MARKED, note=word))

    lxd.heard = heard
    return words


def test_a_learner_is_read_once_their_recorder_wrote_the_grades_mark(monkeypatch):
    """Who has not begun is not looked at: the mark rides on the listing of their project."""
    lxd, kim = one_started(monkeypatch)
    words = hearing(lxd, kim, Entry(t=at(5), kind="event", action="instance-started"))
    recording(monkeypatch)
    graded = evidence.read(LAB, [kim], timeout=5)["kim"]
    assert isinstance(graded, Graded)
    assert "instance-started" in [e.action for e in graded.evidence.history.entries]
    assert evidence.LAGGING not in graded.base.notes
    assert [a[:2] for a in lxd.asked if a[2].get(MARK)] == [("/1.0/instances", kim.project)]
    assert len(words) == 1


def test_the_files_look_carries_the_mark_once_the_lab_looks_at_them(monkeypatch):
    lxd, kim = Daemon(), learner("kim")
    lxd.holds(kim, ("snap",), file=True)
    started(kim, ("snap",))
    wire(monkeypatch, {"lxd": lxd})
    words = hearing(lxd, kim)
    recording(monkeypatch)
    graded = evidence.read(LAB, [kim], timeout=5)["kim"]
    assert graded.evidence.history.live.files == {FILE: True}
    listed, looked = (a[2][MARK] for a in lxd.asked if a[2].get(MARK))
    assert looked == words[-1] != listed  # the journal was read after the look was heard
    assert evidence.LAGGING not in graded.base.notes


def test_a_snapshot_taken_as_the_class_is_read_gets_its_look_after_all(monkeypatch):
    """The journal had no snapshot when kim was listed; the one she took just before is
    written before the listing's mark: her file is looked at then, with a mark of its own,
    and her journal read once that is written too."""
    lxd, kim = Daemon(), learner("kim")
    lxd.holds(kim, ("late",), file=True)
    started(kim)
    wire(monkeypatch, {"lxd": lxd})
    late = Entry(t=at(5), kind="event", action="instance-snapshot-created", snapshot="late")
    words = hearing(lxd, kim, late)
    recording(monkeypatch)
    graded = evidence.read(LAB, [kim], timeout=5)["kim"]
    assert "late" in [e.snapshot for e in graded.evidence.history.entries]
    assert graded.evidence.history.live.files == {FILE: True}
    marked = [(path, project) for path, project, p in lxd.asked if p.get(MARK)]
    assert marked == [
        ("/1.0/instances", kim.project),
        ("/1.0/instances/ubuntu-test/files", kim.project),
    ]
    assert len(words) == 2 and evidence.LAGGING not in graded.base.notes
    observed = [e for e in kim.session(LAB.id).entries() if e.kind == "observe"]
    assert [e.files for e in observed] == [{FILE: True}]


def test_a_recorder_behind_leaves_a_note_and_the_class_waits_for_it_once(monkeypatch):
    _, kim, lee = two_started(monkeypatch)
    recording(monkeypatch)  # running, but never writes the mark down
    monkeypatch.setattr(evidence, "SETTLE_S", 0.2)
    waits = []

    def settle(session, mark, since, timeout):
        waits.append(timeout)
        return real(session, mark, since, timeout)

    real = evidence.settle
    monkeypatch.setattr(evidence, "settle", settle)
    found = evidence.read(LAB, [kim, lee], timeout=5)
    assert all(evidence.LAGGING in g.base.notes for g in found.values())
    # one deadline for the class: no learner waits longer than SETTLE_S from the start
    assert len(waits) == 2 and all(0 <= w <= 0.2 for w in waits)


def test_no_recorder_no_mark_and_no_wait(monkeypatch):
    lxd, kim = Daemon(), learner("kim")
    lxd.holds(kim, ("snap",))
    started(kim, ("snap",))
    wire(monkeypatch, {"lxd": lxd})
    monkeypatch.setattr(evidence, "settle", lambda *a: pytest.fail("waited for no recorder"))
    graded = evidence.read(LAB, [kim], timeout=5)["kim"]
    assert isinstance(graded, Graded) and graded.evidence.history.live.files == {FILE: False}
    assert not any(a[2].get(MARK) for a in lxd.asked if a[0].endswith("/files"))
    assert evidence.LAGGING not in graded.base.notes
