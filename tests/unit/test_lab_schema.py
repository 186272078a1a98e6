"""A lab file is validated whole: every error at once, before any daemon is touched."""

from __future__ import annotations

import copy

import pytest
import yaml

from snaplab.errors import ExitCode, SnaplabError
from snaplab.lab.model import check_snapshot_name, load, parse
from snaplab.lab.schema import validate
from snaplab.paths import data_dir

SHIPPED = data_dir("labs") / "snapshots" / "lab.yaml"


def shipped() -> dict:
    return yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))


def test_the_shipped_lab_validates_with_no_errors():
    assert validate(shipped()) == []
    lab = load("snapshots")
    assert [s.id for s in lab.steps] == [
        "snapshot-taken",
        "snapshot-listed",
        "file-touched",
        "container-stopped",
        "snapshot-restored",
        "container-started",
        "file-gone",
        "snapshot-deleted",
        "delete-refused",
    ]
    assert lab.max_score == 14


def broken() -> dict:
    doc = copy.deepcopy(shipped())
    del doc["steps"][0]["title"]["ko"]  # missing Korean text
    doc["steps"][2]["id"] = doc["steps"][1]["id"]  # duplicate step id
    doc["steps"][3]["colour"] = "red"  # unknown key
    del doc["steps"][4]["commands"]["incus"]  # no Incus commands
    return doc


def test_a_broken_lab_is_reported_whole():
    with pytest.raises(SnaplabError) as caught:
        parse(broken(), "labs/broken/lab.yaml")
    e = caught.value
    assert e.code == ExitCode.LAB_INVALID
    message = e.render("en")
    assert "\n" not in message
    assert message.startswith("labs/broken/lab.yaml is not a valid lab (4 errors)")
    for error in (
        "steps[0].title.ko: missing",
        "steps[2].id: duplicate step id 'snapshot-listed'",
        "steps[3].colour: unknown key",
        "steps[4].commands.incus: missing",
    ):
        assert error in message, error


def test_each_error_is_found_on_its_own():
    assert validate(broken()) == [
        "steps[0].title.ko: missing",
        "steps[2].id: duplicate step id 'snapshot-listed'",
        "steps[3].colour: unknown key",
        "steps[4].commands.incus: missing",
    ]


def test_not_a_mapping_at_all():
    with pytest.raises(SnaplabError) as caught:
        parse(["a", "list"], "x.yaml")  # type: ignore[arg-type]
    assert caught.value.code == ExitCode.LAB_INVALID
    assert "lab: must be a mapping" in str(caught.value)


@pytest.mark.parametrize("name", ["ubuntu-test-1", "업그레이드-전", "v1.2_50%", "café", "1st"])
def test_a_snapshot_name_is_free_as_the_chapter_says(name):
    assert check_snapshot_name(name) == name


@pytest.mark.parametrize("name", ["", "a/b", "two words", "tab\there"])
def test_a_snapshot_name_with_a_slash_or_a_space_is_refused_in_both_languages(name):
    with pytest.raises(SnaplabError) as caught:
        check_snapshot_name(name)
    assert caught.value.code == ExitCode.USAGE
    assert "slash" in caught.value.render("en") and "슬래시" in caught.value.render("ko")


def test_parameters_and_record_are_checked_with_the_rest():
    doc = copy.deepcopy(shipped())
    del doc["parameters"]["instance"]
    doc["parameters"]["Bad-Key"] = "x"
    doc["parameters"]["remote"] = {"lxd": "lxd-snapshot"}  # Incus's value missing
    doc["record"]["events"].append("")
    doc["record"]["requests"][0].pop("method")
    errors = validate(doc)
    assert "parameters.instance: missing (the lab instance's default name)" in errors
    assert "parameters.Bad-Key: must be lower-case letters, digits and _" in errors
    assert "parameters.remote: must map each of lxd, incus to str" in errors
    assert "record.events[7]: must be a non-empty string" in errors
    assert "record.requests[0].method: missing" in errors


def test_files_after_names_a_recorded_event_and_needs_files_to_look_at():
    doc = copy.deepcopy(shipped())
    doc["record"]["files_after"] = "instance-renamed"
    assert validate(doc) == ["record.files_after: 'instance-renamed' is not in record.events"]
    doc["record"]["files_after"] = "instance-started"
    assert validate(doc) == []
    del doc["record"]["files"]
    assert validate(doc) == ["record.files_after: there are no record.files to look at after it"]


def test_a_per_backend_parameter_fills_each_daemons_texts():
    from snaplab.lab.model import placeholders

    doc = copy.deepcopy(shipped())
    doc["parameters"]["remote"] = {"lxd": "lxd-snapshot", "incus": "incus-snapshot"}
    doc["steps"][0]["hint"]["en"] = "then `{command}` and add {remote}"
    lab = parse(doc, "labs/x/lab.yaml")
    assert placeholders(lab, "incus", "web", "s")["remote"] == "incus-snapshot"
    assert placeholders(lab, "lxd", "web", "s")["remote"] == "lxd-snapshot"


def test_a_text_naming_no_parameter_is_a_lab_error_not_a_grading_crash():
    doc = copy.deepcopy(shipped())
    doc["steps"][1]["hint"]["ko"] = "`{command}` 실행 후 {flie} 확인"  # a typo
    with pytest.raises(SnaplabError) as caught:
        parse(doc, "labs/x/lab.yaml")
    assert caught.value.code == ExitCode.LAB_INVALID
    assert "steps.snapshot-listed: {flie} is not a parameter" in caught.value.render("en")


def test_a_placeholder_in_a_why_is_a_lab_error_since_the_page_shows_it_once_for_both_tabs():
    """Chapter 10's first draft showed "the remote {remote}" on its page, as written."""
    doc = copy.deepcopy(shipped())
    doc["steps"][1]["why"]["en"] = "The script copies to {instance}."
    with pytest.raises(SnaplabError) as caught:
        parse(doc, "labs/x/lab.yaml")
    said = caught.value.render("en")
    assert "steps.snapshot-listed: {instance} in a title or note is never filled" in said


def test_a_pongo2_template_is_no_placeholder_and_a_saved_value_must_be_declared():
    doc = copy.deepcopy(shipped())
    pattern = "\"{instance}{{ creation_date|date:'2006-01-02_15-04-05' }}\""
    doc["steps"][1]["commands"]["lxd"].append(
        {"run": f"lxc config set {{instance}} snapshots.pattern {pattern}", "recorded": False}
    )
    parse(doc, "labs/x/lab.yaml")  # {{ creation_date|... }} is the daemon's, not the lab's
    doc["steps"][1]["commands"]["lxd"].append({"run": "lxc remote add s {token}", "saves": "tokn"})
    doc["steps"][1]["commands"]["incus"].append({"run": "incus snapshot create c '{snapshot}'"})
    with pytest.raises(SnaplabError) as caught:
        parse(doc, "labs/x/lab.yaml")
    said = caught.value.render("en")
    assert "steps.snapshot-listed: {token} is not a parameter" in said
    assert "steps.snapshot-listed: saves tokn is not a parameter" in said
    assert "a quoted command names {snapshot}: incus snapshot create c '{snapshot}'" in said
    doc["steps"][1]["commands"]["incus"].pop()
    doc["parameters"]["token"] = "TOKEN"
    doc["steps"][1]["commands"]["lxd"][-1]["saves"] = "token"
    assert parse(doc, "labs/x/lab.yaml").steps[1].commands["lxd"][-1].saves == "token"


def test_resources_name_only_daemons_snaplab_can_start():
    doc = copy.deepcopy(shipped())
    doc["resources"] = {"daemons": ["snapshot-server", "mainframe"], "cpus": 4}
    errors = validate(doc)
    assert "resources.daemons[1]: 'mainframe' is not one of snapshot-server" in errors
    assert "resources.cpus: unknown key" in errors
    doc["resources"] = {"daemons": ["snapshot-server"]}
    doc["record"]["config"] = ["snapshots.schedule"]
    lab = parse(doc, "labs/x/lab.yaml")
    assert lab.daemons == ("snapshot-server",) and lab.record.config == ("snapshots.schedule",)
    assert load("snapshots").daemons == ()  # chapter 8 needs the primary only


def test_a_lab_whose_snapshot_server_is_down_does_not_start(monkeypatch):
    from snaplab.backends import get_backend
    from snaplab.host import snapshot_server
    from snaplab.i18n import both
    from snaplab.lab.runner import daemon_clients

    doc = copy.deepcopy(shipped())
    doc["resources"] = {"daemons": ["snapshot-server"]}
    lab = parse(doc, "labs/x/lab.yaml")
    down = snapshot_server.Status(True, False, both("it is down: run X", "멈춤: X 실행"))
    monkeypatch.setattr(snapshot_server, "status", lambda backend: down)
    monkeypatch.setattr(snapshot_server, "answering", lambda backend: False)
    with pytest.raises(SnaplabError) as caught:
        daemon_clients(lab, get_backend("lxd"))
    assert caught.value.code == ExitCode.DAEMON_DOWN
    assert caught.value.render("en") == "it is down: run X"
    assert daemon_clients(load("snapshots"), get_backend("lxd")) == {}


def test_a_bad_name_is_named_in_each_language():
    with pytest.raises(SnaplabError) as caught:
        from snaplab.lab.model import check_name

        check_name("bad name", "instance")
    assert caught.value.render("en").startswith("invalid instance name 'bad name'")
    assert caught.value.render("ko").startswith("컨테이너 이름 'bad name'")


def test_a_step_the_daemon_finishes_on_its_own_is_waited_for(monkeypatch):
    from types import SimpleNamespace

    from snaplab.lab import runner

    doc = copy.deepcopy(shipped())
    doc["steps"][0]["waits"] = 240
    lab = parse(doc, "labs/x/lab.yaml")
    assert lab.steps[0].waits == 240 and lab.steps[1].waits == 0
    looks = iter(["fail", "fail", "pass"])  # the schedule runs once a minute

    def check(lab, session):
        return SimpleNamespace(steps=[SimpleNamespace(id="snapshot-taken", status=next(looks))])

    monkeypatch.setattr(runner, "check", check)
    assert runner.wait_until_passed(lab, None, "snapshot-taken", 1, every=0)
    looks = iter(["fail"] * 10)
    assert not runner.wait_until_passed(lab, None, "snapshot-taken", 0, every=0)
