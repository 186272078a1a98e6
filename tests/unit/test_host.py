"""`host setup|stop` as the reader sees it: progress lines and the summary in either
language, the JSON in English. The plan is faked: nothing here changes the host."""

from __future__ import annotations

import argparse
import subprocess

import pytest

from snaplab.commands import host
from snaplab.commands.host import HostResult, StepResult
from snaplab.errors import ExitCode, SnaplabError
from snaplab.host import setup
from snaplab.i18n import both

INSTALL = both("install lxd (apt-get)", "lxd 설치 (apt-get)")
START = both("start the LXD daemon", "LXD 데몬 시작")


def result(**kw) -> HostResult:
    steps = [StepResult("lxd", INSTALL, False, 0.0), StepResult("lxd", START, True, 1.2)]
    return HostResult("setup", steps=steps, seconds=3.04, **kw)


def test_the_summary_reads_in_korean_and_english():
    assert result().render("ko") == "host setup: 단계 1개를 실행했습니다 (3.0초)"
    assert result().render("en") == "host setup: 1 step(s) changed (3.0 s)"
    assert result(dry_run=True).render("ko") == (
        "시험 실행(dry run): 단계 1개가 이 호스트를 바꾸게 됩니다"
    )
    done = HostResult("setup", steps=[StepResult("lxd", INSTALL, False, 0.0)], seconds=0.5)
    assert done.render("ko") == "할 일이 없습니다: 호스트가 이미 준비되어 있습니다 (0.5초)"
    assert done.render("en") == "nothing to do: the host is already set up (0.5 s)"


def test_stop_says_what_it_stopped_not_that_the_host_is_set_up():
    title = both("stop LXD", "LXD 멈추기")
    idle = HostResult("stop", steps=[StepResult("lxd", title, False, 0.0)])
    assert "nothing to stop" in idle.render("en") and "set up" not in idle.render("en")
    assert idle.render("ko").startswith("멈출 것이 없습니다")
    stopped = HostResult("stop", steps=[StepResult("lxd", title, True, 0.3)], seconds=0.3)
    assert stopped.render("ko") == "host stop: 데몬 1개를 멈췄습니다 (0.3초)"


def test_json_keeps_the_english_step_titles():
    data = result().to_dict()
    assert data["steps"][1] == {
        "backend": "lxd",
        "title": "start the LXD daemon",
        "changed": True,
        "seconds": 1.2,
    }
    assert data["changed"] is True


def fake_plan(monkeypatch: pytest.MonkeyPatch, fails: bool = False) -> None:
    def fail() -> None:
        raise subprocess.CalledProcessError(1, ["apt-get"], stderr="E: no space left\n")

    def plan(backend, opts, say, built):
        say("    busybox-static")  # apt's package names: the same in both languages
        yield setup.Step(backend.name, INSTALL, False, lambda: None)
        yield setup.Step(backend.name, START, True, fail if fails else (lambda: None))

    monkeypatch.setattr(setup, "plan", plan)
    monkeypatch.setattr(host.os, "geteuid", lambda: 0)


def args(**kw) -> argparse.Namespace:
    base = dict(
        backend="lxd", dry_run=False, bridge=False, image="busybox", storage="dir", pool_size="4GiB"
    )
    return argparse.Namespace(**{**base, **kw})


@pytest.mark.parametrize(
    ("lang", "dry_run", "lines"),
    [
        (
            "ko",
            False,
            [
                "    busybox-static",
                "[lxd] lxd 설치 (apt-get): 이미 되어 있습니다",
                "[lxd] LXD 데몬 시작 ...",
                "[lxd] LXD 데몬 시작: 완료 (0.0초)",
            ],
        ),
        ("ko", True, ["    busybox-static", "[lxd] lxd 설치 (apt-get): 이미 되어 있습니다",
                      "[lxd] 할 일: LXD 데몬 시작"]),
        (
            "en",
            False,
            [
                "    busybox-static",
                "[lxd] install lxd (apt-get): already done",
                "[lxd] start the LXD daemon ...",
                "[lxd] start the LXD daemon: done (0.0 s)",
            ],
        ),
        ("en", True, ["    busybox-static", "[lxd] install lxd (apt-get): already done",
                      "[lxd] would start the LXD daemon"]),
    ],
)  # fmt: skip
def test_progress_lines_follow_the_language(monkeypatch, capsys, lang, dry_run, lines):
    fake_plan(monkeypatch)
    done = host.run_setup(args(lang=lang, dry_run=dry_run))
    assert capsys.readouterr().err.splitlines() == lines
    assert [s.title for s in done.steps] == [INSTALL, START]


def test_a_failed_step_is_reported_in_both_languages(monkeypatch):
    fake_plan(monkeypatch, fails=True)
    with pytest.raises(SnaplabError) as e:
        host.run_setup(args(lang="ko"))
    assert e.value.code == ExitCode.SETUP_FAILED
    assert e.value.render("en") == (
        "host setup failed at [lxd] start the LXD daemon: E: no space left (see /var/log/snaplab/)"
    )
    assert e.value.render("ko") == (
        "host setup이 [lxd] LXD 데몬 시작 단계에서 실패했습니다: E: no space left "
        "(/var/log/snaplab/ 참고)"
    )


def test_every_step_of_the_plan_has_a_korean_title(monkeypatch):
    """The real plan, asked about a host where everything is missing: titles only."""
    from snaplab.backends import get_backend
    from snaplab.host import command

    monkeypatch.setattr(setup, "backports_enabled", lambda: False)
    monkeypatch.setattr(setup, "installed", lambda p: False)
    monkeypatch.setattr(setup.daemon, "answering", lambda b: False)
    monkeypatch.setattr(setup, "initialised", lambda b: False)
    monkeypatch.setattr(setup, "user_ok", lambda b: False)
    monkeypatch.setattr(setup, "image_fingerprint", lambda b: None)
    monkeypatch.setattr(command, "on_path", lambda: False)
    monkeypatch.setattr(command, "sudo_ok", lambda: False)
    monkeypatch.setattr(setup, "debian_fingerprint", lambda: None)
    for image_name in ("busybox", "debian", "images:debian/12"):
        opts = setup.Options(image=image_name)
        steps = list(setup.plan(get_backend("incus"), opts, print, lambda: None))
        assert len(steps) >= 8
        for step in steps:
            assert step.title.ko and step.title.ko != step.title.en, step.title.en
