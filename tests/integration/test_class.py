"""A whole class on a shared host: projects, tokens, mixed states, a gradebook, for real.

A spare daemon (its own LXD_DIR/INCUS_DIR, listening on 127.0.0.1 only) plays the
classroom host. 40 learners on LXD (6 on Incus) are set up in their own projects;
scripted learners then leave the class in mixed states: finished, half done, not
started, container deleted, project missing. The gradebook must say, learner by
learner, what `snaplab check` says.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from pylxd.exceptions import LXDAPIException

from snaplab import remotes
from snaplab.lab.journal import Session
from snaplab.lab.model import Lab, load
from snaplab.lab.player import Player, Typed, script
from snaplab.transports import Target, connect
from tests.conftest import Run, snaplab
from tests.integration.learner import player, work_through
from tests.integration.spare import Spare, free_address

pytestmark = pytest.mark.integration

SIZES = {"lxd": int(os.environ.get("N", 40)), "incus": 6}
CLI = {"lxd": "lxc", "incus": "incus"}
HALF = 3  # steps a half-done learner has done


@dataclass
class Klass:
    backend: str
    spare: Spare
    env: dict[str, str]
    roster: Path
    out: Path
    lab: Lab
    ids: list[str]
    groups: dict[str, list[str]]  # finished / half / idle / deleted / noproject

    def project(self, learner: str) -> str:
        return f"ko101-{learner}"

    def run(self, *args: str) -> Run:
        return snaplab(*args, env=self.env, timeout=900)

    def keyboard(self, learner: str) -> Player:
        return player(project=self.project(learner), env={**os.environ, **self.env}, wait=30)

    def lxc(self, learner: str, *args: str) -> Typed:
        return self.keyboard(learner).type(" ".join([CLI[self.backend], *args]))

    def journal(self, learner: str) -> Path:
        session = Session(self.lab.id, self.backend, self.project(learner), self.lab.instance)
        return session.journal

    def do_steps(self, learner: str, steps: slice) -> None:
        """The guide's commands for these steps, paced like a person (see learner.py)."""
        lab = self.lab
        lines = script(lab, self.backend, lab.instance, lab.snapshot, lab.steps[steps])
        me = self.keyboard(learner)
        work_through(me, lines, self.journal(learner), learner, self.recorder_log)

    def recorder_log(self) -> str:
        """What the class's recorder said last: why it lagged, if it did."""
        log = Path(self.env["XDG_STATE_HOME"]) / "snaplab" / "class-ko101" / "recorder.log"
        return "\n".join(log.read_text(errors="replace").splitlines()[-30:]) if log.exists() else ""

    def book(self) -> dict:
        return json.loads((self.out / "gradebook.json").read_text())


def layout(ids: list[str]) -> dict[str, list[str]]:
    """A fifth finished, a fifth half done, the deleted and missing few, the rest idle."""
    n = len(ids)
    k = max(1, n // 5)
    bad = max(1, n // 13)
    return {
        "finished": ids[:k],
        "half": ids[k : 2 * k],
        "deleted": ids[n - 2 * bad : n - bad],
        "noproject": ids[n - bad :],
        "idle": ids[2 * k : n - 2 * bad],
    }


@pytest.fixture(scope="module", params=list(SIZES))
def klass(request, spares) -> Iterator[Klass]:
    backend = request.param
    spare = spares.get(backend, "classroom")
    home = Path(tempfile.mkdtemp(prefix="snaplab-class-", dir="/tmp"))
    env = {
        **spare.env,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_STATE_HOME": str(home / "state"),
        "SNAPLAB_LANG": "en",
    }
    ids = [f"s{i:02d}" for i in range(1, SIZES[backend] + 1)]
    roster = home / "ko101.csv"
    with open(roster, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "name", "target", "backend"])
        for i in ids:
            w.writerow([i, f"학습자 {i}", "local", backend])
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)  # journals are read from this process too
    k = Klass(backend, spare, env, roster, home / "book", load("snapshots"), ids, layout(ids))
    try:
        yield k
    finally:
        k.run("class", "teardown", str(roster))
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="module")
def taught(klass: Klass) -> Klass:
    """Set up, then each learner does what their group does."""
    klass.spare.cli("project", "create", "keep-me")  # the host's own: never touched
    r = klass.run("class", "setup", str(klass.roster), "--jobs", "4", "--listen", free_address())
    assert r.rc == 0, r.err + r.out
    assert "recording" in r.out

    def learn(learner: str) -> None:
        if learner in klass.groups["finished"]:
            klass.do_steps(learner, slice(None))
        elif learner in klass.groups["half"]:
            klass.do_steps(learner, slice(0, HALF))
        elif learner in klass.groups["deleted"]:
            klass.lxc(
                learner, "config", "set", klass.lab.instance, "security.protection.delete=false"
            )
            assert klass.lxc(learner, "delete", "--force", klass.lab.instance).returncode == 0
        elif learner in klass.groups["noproject"]:
            klass.lxc(
                learner, "config", "set", klass.lab.instance, "security.protection.delete=false"
            )
            assert klass.lxc(learner, "delete", "--force", klass.lab.instance).returncode == 0
            klass.spare.cli("project", "delete", klass.project(learner))

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(learn, klass.ids))
    r = klass.run("class", "grade", str(klass.roster), "--out", str(klass.out))
    assert r.rc == 1, r.err  # some learners could not be graded
    return klass


def test_setup_made_a_restricted_project_and_one_token_each(taught: Klass):
    access = list(
        csv.DictReader(
            open(Path(taught.env["XDG_STATE_HOME"]) / "snaplab" / "class-ko101" / "access.csv")
        )
    )
    assert [a["id"] for a in access] == taught.ids
    assert all(remotes.decode_token(a["token"]) for a in access)
    config = taught.spare.cli("project", "get", taught.project(taught.ids[0]), "restricted").stdout
    assert config.strip() == "true"

    # the root disk is the lab container's own, from the host's default profile, and the
    # project's profile is empty (why: snaplab/classroom/projects.py)
    def query(path: str) -> dict:
        return json.loads(taught.spare.cli("query", path).stdout)

    inside = f"?project={taught.project(taught.ids[0])}"
    host = query("/1.0/profiles/default")["devices"]["root"]
    assert query(f"/1.0/profiles/default{inside}")["devices"] == {}
    inst = query(f"/1.0/instances/{taught.lab.instance}{inside}")
    assert inst["devices"]["root"] == {k: host[k] for k in ("type", "path", "pool")}


def explain(row: dict) -> str:
    steps = [f"{s['id']}={s['status']}" for s in row.get("steps", [])]
    return f"{row['id']} {row['status']} {row['score']} {row['reason']} {steps} {row['notes']}"


def test_gradebook_has_every_learner_in_the_right_state(taught: Klass):
    book = {r["id"]: r for r in taught.book()["learners"]}
    assert list(book) == taught.ids
    full = sum(s.points for s in taught.lab.steps)
    half = sum(s.points for s in taught.lab.steps[:HALF])
    for i in taught.groups["finished"]:
        assert (book[i]["status"], book[i]["score"]) == ("graded", full), explain(book[i])
        minutes = [s["minutes"] for s in book[i]["steps"]]  # from their start, step by step
        assert book[i]["started"] and all(s["proven"] for s in book[i]["steps"]), book[i]
        assert minutes == sorted(minutes) and minutes[0] >= 0, minutes
    for i in taught.groups["half"]:
        assert (book[i]["status"], book[i]["score"]) == ("graded", half), explain(book[i])
    for i in taught.groups["idle"]:
        assert (book[i]["status"], book[i]["score"]) == ("graded", 0), explain(book[i])
        assert all(s["minutes"] is None for s in book[i]["steps"]), book[i]
    for i in taught.groups["deleted"]:
        assert book[i]["status"] == "failed" and book[i]["score"] is None, book[i]
        assert "gone" in book[i]["reason"], book[i]
    for i in taught.groups["noproject"]:
        assert book[i]["status"] == "failed" and book[i]["score"] is None, book[i]
        assert taught.project(i) in book[i]["reason"] and "does not exist" in book[i]["reason"]
    rows = {
        r["id"]: r for r in csv.DictReader(open(taught.out / "gradebook.csv", encoding="utf-8-sig"))
    }
    assert rows[taught.groups["deleted"][0]]["total"] == ""  # not a zero
    assert rows[taught.groups["finished"][0]]["total"] == str(full)
    last = f"{taught.lab.steps[-1].id} min"
    assert rows[taught.groups["finished"][0]][last] != "" and rows[taught.ids[-1]][last] == ""
    assert (taught.out / "junit.xml").exists() and (taught.out / "report.html").exists()


def test_gradebook_matches_snaplab_check_for_each_learner(taught: Klass):
    book = {r["id"]: r for r in taught.book()["learners"]}

    def check(learner: str) -> tuple[str, Run]:
        return learner, taught.run(
            "check",
            "snapshots",
            "--json",
            "--backend",
            taught.backend,
            "--project",
            taught.project(learner),
            "--instance",
            taught.lab.instance,
        )

    with ThreadPoolExecutor(4) as pool:
        checked = dict(pool.map(check, taught.ids))
    for learner, r in checked.items():
        row = book[learner]
        if row["status"] == "graded":
            assert r.rc in (0, 1), r.err
            mine = json.loads(r.out)
            assert mine["score"] == row["score"], learner
            assert {s["id"]: (s["points"], s["proven"]) for s in mine["steps"]} == {
                s["id"]: (s["points"], s["proven"]) for s in row["steps"]
            }, learner
            assert mine["started"] == row["started"], learner
        else:
            assert r.rc == 5, (learner, r.err)  # not found, as the gradebook says


def refused_words(error: Exception) -> bool:
    """LXD says "not authorized", Incus "User does not have permission for project"."""
    text = str(error).lower()
    return "not authorized" in text or "does not have permission" in text


def test_a_learner_token_reaches_only_their_own_project(taught: Klass, monkeypatch):
    me, other = taught.groups["idle"][0], taught.groups["idle"][1]
    token = {
        a["id"]: a["token"]
        for a in csv.DictReader(
            open(Path(taught.env["XDG_STATE_HOME"]) / "snaplab" / "class-ko101" / "access.csv")
        )
    }[me]
    learner_home = Path(taught.env["HOME"]) / me
    learner_env = {**taught.env, "XDG_CONFIG_HOME": str(learner_home)}
    r = snaplab("remote", "add", "classroom", taught.spare.url, "--token", token, env=learner_env)
    assert r.rc == 0, r.err
    monkeypatch.setenv("XDG_CONFIG_HOME", str(learner_home))

    mine = connect(
        Target(taught.backend, remotes.canonical_url(taught.spare.url), taught.project(me))
    )
    assert mine.client.instances.get(taught.lab.instance).status == "Running"
    assert len(mine.client.instances.all()) == 1  # their own lab container, nothing else

    snaps = f"/1.0/instances/{taught.lab.instance}/snapshots?project={taught.project(other)}"
    before = taught.spare.cli("query", snaps)
    theirs = connect(
        Target(taught.backend, remotes.canonical_url(taught.spare.url), taught.project(other))
    )
    with pytest.raises(LXDAPIException) as refused:
        theirs.client.instances.get(taught.lab.instance)
    assert refused_words(refused.value)
    with pytest.raises(LXDAPIException) as refused:
        theirs.client.api.instances[taught.lab.instance].snapshots.post(json={"name": "sneaky"})
    assert refused_words(refused.value)
    after = taught.spare.cli("query", snaps)
    assert before.stdout == after.stdout  # nothing changed in the other learner's container


def test_regrade_one_learner_merges_and_keeps_everyone_else(taught: Klass):
    learner = taught.groups["half"][0]
    before = {r["id"]: r for r in taught.book()["learners"]}
    taught.do_steps(learner, slice(HALF, None))
    r = taught.run(
        "class", "grade", str(taught.roster), "--out", str(taught.out), "--only", learner
    )
    assert r.rc == 0, r.err
    after = {r["id"]: r for r in taught.book()["learners"]}
    assert after[learner]["score"] == sum(s.points for s in taught.lab.steps)
    assert before[learner]["score"] < after[learner]["score"]
    assert {i: v for i, v in after.items() if i != learner} == {
        i: v for i, v in before.items() if i != learner
    }


def test_teardown_removes_only_what_setup_made(taught: Klass):
    keeper = taught.groups["idle"][-1]
    # the learner's own container; their project's profile has no root disk, so they name
    # the pool, as the README tells them
    made = taught.lxc(keeper, "init", "snaplab-lab", "mine", "-s", "default")
    assert made.returncode == 0, made
    r = taught.run("class", "teardown", str(taught.roster))
    assert r.rc == 0, r.err
    assert "KEPT" in r.out and keeper in r.out
    projects = taught.spare.cli("project", "list", "--format", "csv").stdout
    assert "keep-me" in projects
    assert taught.project(keeper) in projects  # it holds the learner's own container
    others = [i for i in taught.ids if i != keeper]
    assert not any(f"{taught.project(i)}," in projects for i in others)
    assert taught.lxc(keeper, "list", "--format", "csv", "-c", "n").stdout.split() == ["mine"]
    certs = taught.spare.cli("config", "trust", "list", "--format", "csv").stdout
    assert "snaplab-ko101-" not in certs
    # a project was kept, so the host still listens for that learner
    assert taught.spare.cli("config", "get", "core.https_address").stdout.strip()
    taught.lxc(keeper, "delete", "mine")
    r = taught.run("class", "teardown", str(taught.roster))  # now the last project can go
    assert r.rc == 0 and "KEPT" not in r.out, r.out
    assert taught.project(keeper) not in taught.spare.cli("project", "list", "-f", "csv").stdout
    # setup made the daemon listen; teardown made it stop
    assert taught.spare.cli("config", "get", "core.https_address").stdout.strip() == ""
    taught.spare.cli("project", "delete", "keep-me")
