"""`snaplab class` with learners on their own hosts, reached over HTTPS: LXD and Incus.

Each backend's https spare (its own LXD_DIR / INCUS_DIR, listening on
127.0.0.1:<free port>, never another address) plays the learners' own host: the
instructor trusts it with a token (`snaplab remote add`), sets the class up,
the learners work on it with its CLI over its local socket, the instructor
grades over HTTPS, then a replaced pin and a host that is gone are each refused
with a reason (never a zero), and teardown removes the labs and nothing else.

The tests of one backend run in order and share one class; each skips when the
one before it did not get through. Everything made is removed by the fixture's
finalizer, even after a failure.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import socket
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from snaplab import remotes
from snaplab.errors import ExitCode
from snaplab.lab import recorder
from snaplab.lab.journal import Session, read
from snaplab.lab.model import load
from snaplab.lab.player import Player, script
from tests.conftest import Run, snaplab
from tests.integration.learner import home_env, player, recorders_of, stop, work_through
from tests.integration.spare import Spare, wait_for

pytestmark = pytest.mark.integration

BACKENDS = ["lxd", "incus"]
LAB = load("snapshots")
FIRST = LAB.steps[0]  # the only step learner B does: take the snapshot
KEEP = "keep-me"  # on the learners' host, made by hand, never the class's
OWNER = "user.snaplab.owner"
PROTECT = "security.protection.delete"
GRADEBOOK = ("gradebook.csv", "gradebook.json", "junit.xml", "report.html")


@dataclass(frozen=True)
class Who:
    id: str
    name: str
    instance: str


A = Who("ana", "Ana Souza", "lab-a")  # does the whole chapter
B = Who("minji", "김민지", "lab-b")  # takes the snapshot, then stops
LEARNERS = (A, B)


@dataclass
class Klass:
    backend: str
    spare: Spare
    home: Path
    remote: str
    roster: Path
    journals: dict[str, Path] = field(default_factory=dict)
    passed: set[str] = field(default_factory=set)  # tests of this class that got through

    @property
    def env(self) -> dict[str, str]:
        return home_env(self.home)

    @property
    def name(self) -> str:
        return self.roster.stem  # the class name: the roster's file name

    @property
    def class_dir(self) -> Path:
        return self.home / "state" / "snaplab" / f"class-{self.name}"

    @property
    def pin(self) -> Path:
        return self.home / ".config" / "snaplab" / "servercerts" / f"{self.remote}.crt"

    def need(self, test: str) -> None:
        if test not in self.passed:
            pytest.skip(f"{test} did not pass for {self.backend}: this test builds on it")

    def keyboard(self) -> Player:
        """A learner's commands on their own host: the spare's CLI over its local socket."""
        return player(env={**os.environ, **self.spare.env}, wait=30)

    def recorder_pids(self) -> list[int]:
        try:
            return [int(p) for p in json.loads((self.class_dir / "recorders.json").read_text())]
        except (OSError, ValueError):
            return []

    def created_at(self, instance: str) -> str:
        return json.loads(self.spare.cli("query", f"/1.0/instances/{instance}").stdout)[
            "created_at"
        ]


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0, f"something listens on {port}"
    return port


def write_roster(path: Path, url: str, backend: str) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "name", "target", "project", "backend", "instance"])
        for who in LEARNERS:
            w.writerow([who.id, who.name, url, "default", backend, who.instance])


@pytest.fixture(scope="module", params=BACKENDS)
def klass(request, spares) -> Iterator[Klass]:
    backend = request.param
    spare = spares.get(backend, "https")
    assert urlsplit(spare.url).hostname == "127.0.0.1", spare.url  # loopback only
    home = Path(tempfile.mkdtemp(prefix=f"snaplab-class-remote-{backend}-", dir="/tmp"))
    k = Klass(backend, spare, home, f"learners-{backend}", home / f"remote-{backend}.csv")
    try:
        with pytest.MonkeyPatch.context() as mp:  # state_dir() reads it
            mp.setenv("XDG_STATE_HOME", k.env["XDG_STATE_HOME"])
            for who in LEARNERS:
                session = Session(LAB.id, backend, "default", who.instance, spare.url)
                k.journals[who.id] = session.journal
        for name in (A.instance, B.instance, KEEP):
            assert name not in spare.instances(), f"{name} is already on the {backend} spare"
        spare.cli("init" if backend == "lxd" else "create", "snaplab-lab", KEEP)
        token = spare.trust_token(f"snaplab-class-{backend}")
        r = snaplab("remote", "add", k.remote, spare.url, "--token", token, env=k.env)
        assert r.rc == 0, r.err
        write_roster(k.roster, spare.url, backend)
        yield k
    finally:
        snaplab("class", "teardown", str(k.roster), env=k.env, check_no_traceback=False)
        stop(recorders_of(home))  # left by a failed run: only this class's own
        for name in (A.instance, B.instance, KEEP):
            spare.cli("config", "set", name, PROTECT, "false", check=False)
            spare.delete(name)
        crt = home / ".config" / "snaplab" / "client.crt"
        if crt.exists():
            spare.cli(
                "config", "trust", "remove", remotes.fingerprint(crt.read_text()), check=False
            )
        shutil.rmtree(home, ignore_errors=True)


def class_setup(k: Klass) -> tuple[Run, dict]:
    r = snaplab("class", "setup", str(k.roster), "--json", env=k.env)
    assert r.rc == 0, r.err + r.out
    return r, json.loads(r.out)


def grade(k: Klass, out: Path, roster: Path | None = None) -> tuple[Run, dict]:
    r = snaplab("class", "grade", str(roster or k.roster), "--out", str(out), "--json", env=k.env)
    assert r.out, r.err
    return r, json.loads(r.out)


def check(k: Klass, who: Who) -> tuple[int, dict]:
    """What a learner's own `snaplab check` says, through the same stored remote."""
    r = snaplab(
        "check", "snapshots", "--json", "--remote", k.remote, "--project", "default",
        "--instance", who.instance, env=k.env,
    )  # fmt: skip
    assert r.rc in (0, 1), r.err
    return r.rc, json.loads(r.out)


def by_id(book: dict) -> dict[str, dict]:
    return {r["id"]: r for r in book["learners"]}


def csv_rows(path: Path) -> dict[str, dict[str, str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "no BOM: a spreadsheet would garble the names"
    return {row["id"]: row for row in csv.DictReader(raw.decode("utf-8-sig").splitlines())}


def marks(steps: list[dict]) -> list[tuple[str, str, int]]:
    return [(s["id"], s["status"], s["points"]) for s in steps]


# -- the class, in order ------------------------------------------------------------


def test_setup_starts_each_lab_on_the_learners_host(klass):
    k = klass
    before_keep = k.spare.state(KEEP)
    r, out = class_setup(k)
    assert [d["id"] for d in out["learners"]] == [A.id, B.id]
    for d, who in zip(out["learners"], LEARNERS, strict=True):
        assert "error" not in d, d
        # an own host gets the lab only: no project, no token is made there
        assert d["actions"] == [f"lab in {who.instance}"], d
    assert out["files"] == [] and not (k.class_dir / "access.csv").exists()
    assert any("recording 2 learner" in n for n in out["notes"]), out["notes"]

    for who in LEARNERS:  # on the spare, made over HTTPS by snaplab, owned and protected
        assert k.spare.state(who.instance) == "RUNNING", k.spare.instances()
        assert k.spare.cli("config", "get", who.instance, OWNER).stdout.strip() == "lab:snapshots"
        assert k.spare.cli("config", "get", who.instance, PROTECT).stdout.strip() == "true"
        starts = [e for e in read(k.journals[who.id]) if e.kind == "start"]
        assert [e.created_at for e in starts] == [k.created_at(who.instance)], starts
    assert k.spare.state(KEEP) == before_keep
    assert k.spare.cli("config", "get", KEEP, OWNER).stdout.strip() == ""

    # one shared recorder for the daemon, serving both sessions, listening
    pids = k.recorder_pids()
    assert len(pids) == 1 and recorder.is_recorder(pids[0]), pids
    assert recorders_of(k.home) == pids  # and no other
    assert b"--shared" in Path(f"/proc/{pids[0]}/cmdline").read_bytes()
    for who in LEARNERS:
        journal = k.journals[who.id]
        assert (journal.parent / "recorder.pid").read_text().strip() == str(pids[0])
        assert any(e.kind == "recorder" and e.note == "listening" for e in read(journal))

    # set up again: nothing to do, the same containers, a recorder still runs
    created = {who.id: k.created_at(who.instance) for who in LEARNERS}
    r, out = class_setup(k)
    assert [d["actions"] for d in out["learners"]] == [[], []], out
    assert {who.id: k.created_at(who.instance) for who in LEARNERS} == created
    again = k.recorder_pids()
    assert len(again) == 1 and recorder.is_recorder(again[0]), again
    assert wait_for(lambda: recorders_of(k.home) == again, timeout=60), "old recorder left running"
    k.passed.add("setup")


def test_learners_work_on_their_own_host(klass):
    k = klass
    k.need("setup")
    for who, steps in ((A, LAB.steps), (B, (FIRST,))):
        # the class's recorder, over HTTPS, writes each down
        lines = script(LAB, k.backend, who.instance, LAB.snapshot, steps)
        work_through(k.keyboard(), lines, k.journals[who.id], who.id)
    # B stopped after the snapshot: their container runs on, the snapshot still there
    info = json.loads(k.spare.cli("query", f"/1.0/instances/{B.instance}/snapshots").stdout)
    assert [s.rsplit("/", 1)[-1] for s in info] == [LAB.snapshot]
    assert k.spare.state(A.instance) == "RUNNING"
    k.passed.add("learners")


def test_grade_over_https_equals_check(klass):
    k = klass
    k.need("learners")
    out = k.home / "book"
    r, book = grade(k, out)
    assert r.rc == 0, r.err + r.out  # everyone graded, whatever their marks
    assert book["lab"] == LAB.id and book["class_name"] == k.name
    assert [s["id"] for s in book["steps"]] == [s.id for s in LAB.steps]
    assert [x["id"] for x in book["learners"]] == [A.id, B.id]
    ana, minji = by_id(book)[A.id], by_id(book)[B.id]

    assert ana["status"] == "graded" and ana["reason"] == "", ana
    assert ana["score"] == ana["max_score"] == LAB.max_score == 14, marks(ana["steps"])
    assert {s["status"] for s in ana["steps"]} == {"pass"}
    assert minji["status"] == "graded", minji
    assert minji["score"] == FIRST.points and minji["max_score"] == LAB.max_score
    assert minji["steps"][0]["id"] == FIRST.id and minji["steps"][0]["status"] == "pass"
    assert all(s["status"] != "pass" for s in minji["steps"][1:]), marks(minji["steps"])
    for x, who in ((ana, A), (minji, B)):
        assert (x["target"], x["backend"], x["instance"], x["project"]) == (
            k.spare.url, k.backend, who.instance, "default",
        )  # fmt: skip

    # the same marks as the learner's own `snaplab check` through the stored remote
    for x, who, want_rc in ((ana, A, 0), (minji, B, 1)):
        rc, report = check(k, who)
        assert rc == want_rc, report
        assert (report["score"], report["max_score"]) == (x["score"], x["max_score"])
        assert marks(report["steps"]) == marks(x["steps"])

    # the four files, saying the same
    assert sorted(book["files"]) == sorted(str(out / f) for f in GRADEBOOK)
    assert all((out / f).stat().st_size > 0 for f in GRADEBOOK)
    assert json.loads((out / "gradebook.json").read_text())["learners"] == book["learners"]
    rows = csv_rows(out / "gradebook.csv")
    assert rows[A.id]["total"] == rows[A.id]["max"] == str(LAB.max_score)
    assert rows[B.id]["total"] == str(FIRST.points) and rows[B.id]["name"] == B.name
    assert rows[B.id][FIRST.id] == str(FIRST.points) and rows[B.id][LAB.steps[1].id] == "0"
    suites = {s.get("name"): s for s in ET.parse(out / "junit.xml").getroot()}
    assert suites[A.id].get("failures") == "0" and suites[A.id].get("errors") == "0"
    assert suites[A.id].get("tests") == str(len(LAB.steps))
    assert suites[B.id].get("failures") == "1"  # the first unfinished step; the rest pending
    assert suites[B.id].get("skipped") == str(len(LAB.steps) - 2)
    html = (out / "report.html").read_text(encoding="utf-8")
    assert A.name in html and B.name in html and k.spare.url in html
    k.passed.add("grade")


def test_replaced_pin_leaves_everyone_unreachable_not_zero(klass):
    k = klass
    k.need("grade")
    original = k.pin.read_bytes()
    impostor = remotes.self_signed("impostor", days=1)[0]  # well-formed, not the server's
    out = k.home / "book-pin"
    k.pin.write_bytes(impostor)
    try:
        r, book = grade(k, out)
    finally:
        k.pin.write_bytes(original)
    assert r.rc == ExitCode.NOT_PASSING, r.err + r.out
    real, fake = remotes.fingerprint(original.decode()), remotes.fingerprint(impostor.decode())
    for x in book["learners"]:
        assert x["status"] == "unreachable", x
        assert x["score"] is None and x["max_score"] is None and x["steps"] == [], x
        reason = x["reason"]
        assert "certificate" in reason and "not the pinned" in reason, reason
        assert real in reason and fake in reason and k.spare.url in reason, reason
        assert f"snaplab remote remove {k.remote}" in reason, reason
    assert by_id(json.loads((out / "gradebook.json").read_text())) == by_id(book)
    rows = csv_rows(out / "gradebook.csv")
    for who in LEARNERS:
        row = rows[who.id]
        assert row["status"] == "unreachable" and row["total"] == "", row
        assert all(row[s.id] == "" for s in LAB.steps), row  # never a 0 to average in
        assert row["max"] == str(LAB.max_score)
    for suite in ET.parse(out / "junit.xml").getroot():
        assert suite.get("errors") == "1" and suite.find("testcase/error").get("type") == (
            "unreachable"
        )
    # the pin is back: the same class grades again, and the marks were not touched
    r, book = grade(k, k.home / "book-after-pin")
    assert r.rc == 0, r.err + r.out
    assert [(x["status"], x["score"]) for x in book["learners"]] == [
        ("graded", LAB.max_score),
        ("graded", FIRST.points),
    ]
    k.passed.add("pin")


def test_unreachable_host_is_reported_and_the_rest_graded(klass, monkeypatch):
    k = klass
    k.need("grade")
    # a learner's host that was added last week and is off today: a stored remote, a pin
    gone_url = f"https://127.0.0.1:{closed_port()}"
    gone_pin = k.pin.with_name("gone.crt")
    shutil.copy(k.pin, gone_pin)
    monkeypatch.setenv("XDG_CONFIG_HOME", k.env["XDG_CONFIG_HOME"])
    stored = remotes.load()
    stored["gone"] = remotes.Remote("gone", gone_url, k.backend, str(gone_pin))
    remotes.save(stored)
    # and one whose host was never added with `snaplab remote add`
    never_url = f"https://127.0.0.1:{closed_port()}"
    roster = k.home / "with-absent.yaml"
    doc = {
        "class": k.name,
        "defaults": {"backend": k.backend},
        "learners": [
            *({"id": w.id, "name": w.name, "target": k.spare.url, "instance": w.instance}
              for w in LEARNERS),
            {"id": "off", "name": "Laptop Off", "target": gone_url, "instance": "lab-c"},
            {"id": "never", "name": "Never Added", "target": never_url, "instance": "lab-d"},
        ],
    }  # fmt: skip
    roster.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    out = k.home / "book-absent"
    try:
        r, book = grade(k, out, roster)
    finally:
        assert snaplab("remote", "remove", "gone", env=k.env).rc == 0
    assert r.rc == ExitCode.NOT_PASSING, r.err + r.out
    assert "grade 4/4" in r.err, r.err  # every learner went through, none stopped the run
    got = by_id(book)
    assert [x["id"] for x in book["learners"]] == [A.id, B.id, "off", "never"]
    assert (got[A.id]["status"], got[A.id]["score"]) == ("graded", LAB.max_score)
    assert (got[B.id]["status"], got[B.id]["score"]) == ("graded", FIRST.points)

    off = got["off"]
    assert off["status"] == "unreachable" and off["score"] is None, off
    assert gone_url in off["reason"] and "unreachable" in off["reason"], off["reason"]
    never = got["never"]
    assert never["status"] in ("unreachable", "failed") and never["score"] is None, never
    assert never_url in never["reason"] and "snaplab remote add" in never["reason"], never
    rows = csv_rows(out / "gradebook.csv")
    assert rows["off"]["total"] == "" and rows["never"]["total"] == ""
    assert rows[A.id]["total"] == str(LAB.max_score)
    k.passed.add("unreachable")


def test_dead_recorder_and_replaced_pin_still_grade_to_unreachable(klass):
    """A recorder that cannot be restarted is stopped and said, never a traceback."""
    k = klass
    k.need("pin")
    original = k.pin.read_bytes()
    stop(recorders_of(k.home))  # the class's recorder died (our own process, by its pid)
    assert wait_for(lambda: not recorders_of(k.home), timeout=60)
    k.pin.write_bytes(remotes.self_signed("impostor", days=1)[0])
    try:
        r, book = grade(k, k.home / "book-dead-recorder")  # no traceback, whatever happens
        assert r.rc == ExitCode.NOT_PASSING, r.err + r.out
        assert [x["status"] for x in book["learners"]] == ["unreachable", "unreachable"]
        assert all("not the pinned" in x["reason"] for x in book["learners"]), book
        assert not recorders_of(k.home), "a recorder that never listened was left running"
    finally:
        k.pin.write_bytes(original)
        stop(recorders_of(k.home))
        assert wait_for(lambda: not recorders_of(k.home), timeout=60)
        class_setup(k)  # recording again, for teardown to stop
        assert len(recorders_of(k.home)) == 1


def test_teardown_removes_the_labs_and_nothing_else(klass):
    k = klass
    k.need("setup")
    keep_state, keep_created = k.spare.state(KEEP), k.created_at(KEEP)
    pids = k.recorder_pids()
    r = snaplab("class", "teardown", str(k.roster), "--json", env=k.env)
    assert r.rc == 0, r.err + r.out
    out = json.loads(r.out)
    assert [d["actions"] for d in out["learners"]] == [[A.instance], [B.instance]], out
    names = k.spare.instances()
    assert A.instance not in names and B.instance not in names, names
    assert KEEP in names and k.spare.state(KEEP) == keep_state
    assert k.created_at(KEEP) == keep_created  # the very same container, not re-made
    assert pids and wait_for(lambda: not recorders_of(k.home), timeout=60), recorders_of(k.home)
    assert not k.class_dir.exists()
    assert not any(j.parent.exists() for j in k.journals.values())
    # the remote and its pin are the instructor's: teardown leaves them
    assert k.pin.exists()
    # again: nothing left to do, and still fine
    r = snaplab("class", "teardown", str(k.roster), "--json", env=k.env)
    assert r.rc == 0, r.err + r.out
    assert [d["actions"] for d in json.loads(r.out)["learners"]] == [[], []]
    assert KEEP in k.spare.instances()
