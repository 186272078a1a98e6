"""Whose an instance is, from its labels: what `finish` removes and `start` refuses."""

from __future__ import annotations

import copy
from types import SimpleNamespace

import pytest
import yaml

from snaplab.commands.finish import FinishResult
from snaplab.errors import SnaplabError
from snaplab.i18n import both
from snaplab.instance import LABEL
from snaplab.lab import owner
from snaplab.lab.journal import Session
from snaplab.lab.model import declared_instances, load, parse
from snaplab.lab.runner import not_ours
from snaplab.lab.schema import validate
from snaplab.paths import data_dir

MINE = Session("snapshots", "lxd", "default", "ubuntu-test")
DEMO = Session("snapshots", "lxd", "default", "snaplab-demo")  # `make demo`, beside it


def test_the_lab_container_and_every_copy_of_it_are_the_runs():
    labels = owner.labels(MINE)
    assert labels == {LABEL: "lab:snapshots", owner.SESSION: "default/ubuntu-test"}
    for name in ("ubuntu-test", "ubuntu-test-copy", "ubuntu-copy"):  # copies keep the labels
        assert owner.mine(labels, name, MINE)


def test_another_run_of_the_same_lab_in_the_same_project_is_not():
    theirs = owner.labels(DEMO)
    assert not owner.mine(theirs, "snaplab-demo", MINE)
    assert not owner.mine(theirs, "snaplab-demo-copy", MINE)
    assert not owner.mine(owner.labels(MINE), "ubuntu-test-copy", DEMO)
    elsewhere = Session("snapshots", "lxd", "fx-other", "ubuntu-test")  # same name, own project
    assert not owner.mine(owner.labels(elsewhere), "ubuntu-test", MINE)


def test_another_labs_and_unlabelled_instances_are_not():
    assert not owner.mine({}, "ubuntu-test", MINE)
    assert not owner.mine({LABEL: "doctor"}, "ubuntu-test", MINE)
    chapter9 = Session("snapshot-server", "lxd", "default", "ubuntu-test")
    assert not owner.mine(owner.labels(chapter9), "ubuntu-test", MINE)


def test_an_older_label_is_the_runs_only_on_its_own_container():
    """Started before the session label: it still finishes; a copy of it could be any run's."""
    old = {LABEL: "lab:snapshots"}
    assert owner.mine(old, "ubuntu-test", MINE)
    assert not owner.mine(old, "ubuntu-test-copy", MINE)
    assert not owner.mine(old, "ubuntu-test", DEMO)


def test_made_by_names_the_lab_and_the_runs_container():
    assert owner.made_by(owner.labels(DEMO)) == ("snapshots", "snaplab-demo")
    assert owner.made_by({LABEL: "lab:snapshots"}) == ("snapshots", "")
    assert owner.made_by({LABEL: "doctor"}) is None and owner.made_by({}) is None


def said(config: dict, name: str, session: Session = MINE) -> str:
    return not_ours(SimpleNamespace(config=config), name, session).en


def test_start_over_a_copy_of_another_run_names_that_run():
    text = said(owner.labels(DEMO), "ubuntu-test")
    assert "copy made in another run of the lab snapshots" in text
    assert "`snaplab finish snapshots --instance snaplab-demo`" in text
    ko = not_ours(SimpleNamespace(config=owner.labels(DEMO)), "ubuntu-test", MINE).ko
    assert "snaplab-demo" in ko and "복사본" in ko


def test_start_over_another_labs_container_says_to_finish_that_lab():
    chapter9 = Session("snapshot-server", "lxd", "default", "rockylinux-test-9")
    text = said(owner.labels(chapter9), "rockylinux-test-9")
    assert "the lab snapshot-server's: finish it first (`snaplab finish snapshot-server`)" in text
    assert "`snaplab finish snapshot-server`" in said({LABEL: "lab:snapshot-server"}, "x")
    assert "snaplab did not create it" in said({}, "ubuntu-test")


def shipped() -> dict:
    path = data_dir("labs") / "snapshots" / "lab.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_declared_instances_are_named_as_the_run_names_them():
    doc = copy.deepcopy(shipped())
    doc["parameters"]["copy"] = "{instance}-copy"
    doc["resources"] = {"instances": ["{copy}", "{instance}-golden"]}
    lab = parse(doc, "labs/x/lab.yaml")
    assert lab.instances == ("{copy}", "{instance}-golden")
    assert declared_instances(lab, "lxd", "ubuntu-test") == (
        "ubuntu-test-copy",
        "ubuntu-test-golden",
    )
    assert declared_instances(lab, "incus", "mine") == ("mine-copy", "mine-golden")
    assert load("snapshots").instances == ()
    assert load("snapshot-server").instances == ("{instance}",)  # its copy, on the server


def test_declared_instances_are_checked_when_the_lab_loads():
    doc = copy.deepcopy(shipped())
    doc["resources"] = {"instances": ["", 3]}
    errors = validate(doc)
    assert "resources.instances[0]: must be a non-empty string" in errors
    assert "resources.instances[1]: must be a non-empty string" in errors
    doc["resources"] = {"instances": ["{copy}"]}
    with pytest.raises(SnaplabError) as caught:
        parse(doc, "labs/x/lab.yaml")
    assert "resources.instances: {copy} is not a parameter" in caught.value.render("en")


def test_finish_says_what_it_removed_and_what_it_left_in_both_languages():
    left = both("left ubuntu-test-copy: not this run's", "ubuntu-test-copy은(는) 남겨 두었습니다")
    done = FinishResult("snapshots", ["ubuntu-test", "ubuntu-test-copy2"], [("x", left)])
    assert done.render("en") == (
        "removed: ubuntu-test, ubuntu-test-copy2\nleft ubuntu-test-copy: not this run's"
    )
    assert done.render("ko").splitlines() == [
        "삭제함: ubuntu-test, ubuntu-test-copy2",
        "ubuntu-test-copy은(는) 남겨 두었습니다",
    ]
    assert done.to_dict() == {
        "lab": "snapshots",
        "removed": ["ubuntu-test", "ubuntu-test-copy2"],
        "left": [{"name": "x", "why": {"en": left.en, "ko": left.ko}}],
    }
    assert FinishResult("snapshots").render("en") == "nothing to remove"


@pytest.mark.parametrize(
    ("found", "skipped"),
    [
        ({"token-made": "pass", "remote-added": "pass"}, {"token-made", "remote-added"}),
        # trusted by name from another client, but no remote of this one: the token is typed
        # again, since `remote add` needs the one it prints
        ({"token-made": "pass", "remote-added": "fail"}, set()),
        ({"token-made": "fail", "remote-added": "pending"}, set()),
    ],
)
def test_solve_skips_a_redone_labs_first_steps_all_or_none(monkeypatch, found, skipped):
    from snaplab.commands.solve import leading_passes
    from snaplab.lab import runner

    lab = load("snapshot-server")
    steps = [SimpleNamespace(id=s.id, status=found.get(s.id, "pending")) for s in lab.steps]
    monkeypatch.setattr(runner, "check", lambda lab, session: SimpleNamespace(steps=steps))
    assert leading_passes(lab, None) == skipped
    assert leading_passes(load("snapshots"), None) == set()  # no step done before a run
