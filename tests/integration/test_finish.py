"""`finish` removes what this run of a lab made, the learner's copies of its container
included, and nothing else: not another run's, not another lab's, not an unlabelled one.

A copy (`lxc copy ubuntu-test ubuntu-test-copy`, or of a snapshot) inherits the lab's labels
and its delete protection, so the learner cannot remove it with `delete -f`: finish does.
Two runs of one lab in one project (`make demo`'s snaplab-demo beside a person's own
ubuntu-test) keep to their own.
"""

from __future__ import annotations

import json
import subprocess
import uuid
from dataclasses import replace

import pytest

from snaplab.errors import ExitCode, SnaplabError
from snaplab.host.image import ALIAS
from snaplab.instance import LABEL
from snaplab.lab import runner
from snaplab.lab.journal import Session
from snaplab.lab.model import load
from snaplab.lab.player import script
from tests.integration.learner import CLI, Learner

pytestmark = pytest.mark.integration

BACKENDS = ["lxd", "incus"]
LAB = load("snapshots")


def exists(backend: str, name: str) -> bool:
    done = subprocess.run([CLI[backend], "info", name], capture_output=True, text=True)
    return done.returncode == 0


def remove(backend: str, *names: str) -> None:
    """The test's own leftovers, protected or not."""
    cli = CLI[backend]
    for name in names:
        if exists(backend, name):
            subprocess.run([cli, "config", "unset", name, "security.protection.delete"])
            subprocess.run([cli, "delete", "--force", name], capture_output=True)


def tag() -> str:
    return uuid.uuid4().hex[:6]


@pytest.mark.parametrize("backend", BACKENDS)
def test_finish_removes_the_learners_copies_and_leaves_what_is_not_this_runs(backend, tmp_path):
    me = Learner(backend, f"fin-{backend}-{tag()}", tmp_path / "me")
    other = Learner(backend, f"fin2-{backend}-{tag()}", tmp_path / "other")  # the same lab
    cli = me.cli
    copy, snapcopy, theirs = f"{me.instance}-copy", f"{me.instance}-snap", f"{other.instance}-c"
    plain = f"fx-fin-plain-{backend}-{tag()}"
    try:
        assert me.snaplab("start").rc == 0 and other.snaplab("start").rc == 0
        me.type(script(LAB, backend, me.instance, "first")[0].text)  # the chapter's snapshot
        me.type(f"{cli} copy {me.instance} {copy}", recorded=False)
        me.type(f"{cli} copy {me.instance}/first {snapcopy}", recorded=False)
        other.type(f"{cli} copy {other.instance} {theirs}", recorded=False)
        subprocess.run([cli, "init", ALIAS, plain], check=True, capture_output=True)
        refused = me.type(f"{cli} delete -f {copy}", recorded=False, ok=False)
        assert refused.returncode != 0 and "protected" in refused.stderr.lower(), refused
        # one the learner lifted the protection of: no protection to lift, still the run's
        me.type(f"{cli} config unset {snapcopy} security.protection.delete", recorded=False)

        r = me.snaplab("finish", "--json")
        assert r.rc == 0, r.err
        assert json.loads(r.out) == {
            "lab": "snapshots",
            "removed": [me.instance, copy, snapcopy],
            "left": [],
        }
        assert not any(exists(backend, n) for n in (me.instance, copy, snapcopy))
        assert all(exists(backend, n) for n in (other.instance, theirs, plain))

        r = other.snaplab("finish")
        assert r.rc == 0 and r.out.strip() == f"removed: {other.instance}, {theirs}", r.out
        assert exists(backend, plain)  # unlabelled: never snaplab's
        assert me.snaplab("finish").out.strip() == "nothing to remove"
    finally:
        me.snaplab("finish")
        other.snaplab("finish")
        remove(backend, plain, copy, snapcopy, theirs)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_lab_started_before_the_session_label_still_finishes(backend, tmp_path):
    """An older snaplab labelled only `lab:ID`: its container is still the run's, by name; a
    copy of it could be any run's of that lab, so it is left."""
    name = f"fin-old-{backend}-{tag()}"
    copy = f"{name}-copy"
    cli = CLI[backend]
    old = ["-c", f"{LABEL}=lab:snapshots", "-c", "security.protection.delete=true"]
    try:
        subprocess.run([cli, "init", ALIAS, name, *old], check=True, capture_output=True)
        subprocess.run([cli, "copy", name, copy], check=True, capture_output=True)
        r = Learner(backend, name, tmp_path).snaplab("finish")
        assert r.rc == 0 and r.out.strip() == f"removed: {name}", (r.out, r.err)
        assert exists(backend, copy)
    finally:
        remove(backend, name, copy)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_declared_instance_from_before_stops_start_and_is_left_by_finish(
    backend, tmp_path, monkeypatch
):
    """A lab that declares `resources: instances: ["{instance}-copy"]`: a fresh start over
    one that is there says so in one line (its step would fail: already exists); a start
    again mid-lab over the run's own copy does not; finish removes the run's copy and names
    one it did not make as left."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    lab = replace(LAB, instances=("{instance}-copy",))
    session = Session(lab.id, backend, "default", f"fin-decl-{backend}-{tag()}")
    copy, cli = f"{session.instance}-copy", CLI[backend]
    conn = runner.open_session(session)
    try:
        subprocess.run([cli, "init", ALIAS, copy], check=True, capture_output=True)  # unlabelled
        with pytest.raises(SnaplabError) as caught:
            runner.start(lab, session, conn, record=False)
        assert caught.value.code == ExitCode.CONFLICT
        said = caught.value.render("en")
        assert "\n" not in said and f"{copy} is already there" in said, said
        assert copy in caught.value.render("ko") and not exists(backend, session.instance)

        done = runner.finish(lab, session)
        assert done.removed == [] and [n for n, _ in done.left] == [copy]
        assert exists(backend, copy)
        assert "left" in done.left[0][1].en and "남겨" in done.left[0][1].ko

        remove(backend, copy)
        runner.start(lab, session, conn, record=False)
        subprocess.run([cli, "copy", session.instance, copy], check=True, capture_output=True)
        runner.start(lab, session, conn, record=False)  # mid-lab: the run's own copy is fine
        # the lab container removed by hand (protection lifted): a fresh start meets the copy
        remove(backend, session.instance)
        with pytest.raises(SnaplabError) as caught:
            runner.start(lab, session, conn, record=False)
        assert f"`snaplab finish {lab.id}` removes it" in caught.value.render("en")
        done = runner.finish(lab, session)
        assert done.removed == [copy] and done.left == []
    finally:
        remove(backend, session.instance, copy)
