"""`host setup|stop` as the reader sees it: progress lines and the summary in either
language, the JSON in English. The plan is faked: nothing here changes the host."""

from __future__ import annotations

import argparse
import subprocess

import pytest

from snaplab.commands import host
from snaplab.commands.host import HostResult, StepResult
from snaplab.daemons.snapshot_server import SNAPSHOT_SERVER as SERVER
from snaplab.errors import ExitCode, SnaplabError
from snaplab.host import apt, lab_image, pool, setup, users
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

    monkeypatch.setattr(apt, "backports_enabled", lambda: False)
    monkeypatch.setattr(apt, "installed", lambda p: False)
    monkeypatch.setattr(setup.daemon, "answering", lambda b: False)
    monkeypatch.setattr(pool, "initialised", lambda b: False)
    monkeypatch.setattr(users, "user_ok", lambda b: False)
    monkeypatch.setattr(lab_image, "image_fingerprint", lambda b: None)
    monkeypatch.setattr(command, "on_path", lambda: False)
    monkeypatch.setattr(command, "sudo_ok", lambda: False)
    monkeypatch.setattr(lab_image, "debian_fingerprint", lambda: None)
    fake_host(monkeypatch, done=False)
    for image_name in ("busybox", "debian", "images:debian/12"):
        opts = setup.Options(image=image_name, snapshot_server=True)
        steps = list(setup.plan(get_backend("incus"), opts, print, lambda: None))
        assert len(steps) >= 8
        for step in steps:
            assert step.title.ko and step.title.ko != step.title.en, step.title.en


def fake_host(monkeypatch: pytest.MonkeyPatch, done: bool) -> list[str]:
    """Every question the snapshot steps ask, answered `done`; what they do is logged."""
    from snaplab.host import cron, snapshot_server

    did: list[str] = []
    monkeypatch.setattr(snapshot_server, "primary_address", lambda b: b.listen if done else "")
    monkeypatch.setattr(snapshot_server, "answering", lambda b: done)
    monkeypatch.setattr(snapshot_server, "initialised", lambda b: done)
    monkeypatch.setattr(snapshot_server, "address", lambda b: SERVER.listen(b) if done else "")
    monkeypatch.setattr(apt, "installed", lambda p: done)
    monkeypatch.setattr(cron, "running", lambda: 1 if done else None)
    for fn in ("primary_listen", "start", "init", "listen"):
        monkeypatch.setattr(snapshot_server, fn, lambda b, fn=fn: did.append(f"{fn} {b.name}"))
    monkeypatch.setattr(cron, "start", lambda: did.append("cron"))
    monkeypatch.setattr(apt, "apt_install", lambda p, s, say: did.append(f"apt {' '.join(p)}"))
    return did


@pytest.mark.parametrize("name", ["lxd", "incus"])
def test_the_snapshot_steps_on_a_bare_host_then_on_a_set_up_one(monkeypatch, name):
    from snaplab.backends import get_backend

    b = get_backend(name)
    did = fake_host(monkeypatch, done=False)
    steps = list(setup.snapshot_steps(b, print))
    assert [s.title.en for s in steps] == [
        f"let the primary listen on {b.listen} (core.https_address), "
        f"for copies to {SERVER.remote(b)}",
        f"start the {b.title} snapshot server ({b.env_dir}={SERVER.home(b)})",
        "initialise the snapshot server: a dir pool and a root disk in the default profile",
        f"let the snapshot server listen on {SERVER.listen(b)} (remote {SERVER.remote(b)}:)",
        "install cron (apt-get), for chapter 10",
        "start cron (/usr/sbin/cron)",
    ]
    assert all(s.needed and s.backend == name for s in steps)
    assert all(s.title.ko and s.title.ko != s.title.en for s in steps)
    for s in steps:
        s.do()
    assert did == [
        f"primary_listen {name}",
        f"start {name}",
        f"init {name}",
        f"listen {name}",
        "apt cron",
        "cron",
    ]
    fake_host(monkeypatch, done=True)
    assert not any(s.needed for s in setup.snapshot_steps(b, print))


def test_the_snapshot_steps_come_only_with_the_flag(monkeypatch):
    from snaplab.backends import get_backend
    from snaplab.host import command

    fake_host(monkeypatch, done=True)
    monkeypatch.setattr(apt, "backports_enabled", lambda: True)
    monkeypatch.setattr(setup.daemon, "answering", lambda b: True)
    monkeypatch.setattr(pool, "initialised", lambda b: True)
    monkeypatch.setattr(pool, "pool_driver", lambda b: "dir")
    monkeypatch.setattr(users, "user_ok", lambda b: True)
    monkeypatch.setattr(lab_image, "image_fingerprint", lambda b: "x")
    monkeypatch.setattr(command, "on_path", lambda: True)
    monkeypatch.setattr(command, "sudo_ok", lambda: True)
    b = get_backend("lxd")
    plain = [s.title.en for s in setup.plan(b, setup.Options(image="images:x"), print, print)]
    full = [
        s.title.en
        for s in setup.plan(b, setup.Options(image="images:x", snapshot_server=True), print, print)
    ]
    assert full[: len(plain)] == plain
    assert len(full) == len(plain) + 6 and "start cron (/usr/sbin/cron)" in full


def test_host_stop_stops_snapshot_servers_and_cron_only_for_all_backends(monkeypatch):
    from snaplab.host import cron, daemon, snapshot_server

    did: list[str] = []
    monkeypatch.setattr(host.os, "geteuid", lambda: 0)
    monkeypatch.setattr(snapshot_server, "stop", lambda b: did.append(f"{b.name}-snapshot") or True)
    monkeypatch.setattr(daemon, "stop", lambda b: did.append(b.name) or False)
    monkeypatch.setattr(cron, "stop", lambda: did.append("cron") or True)
    done = host.run_stop(argparse.Namespace(backend="all"))
    assert did == ["lxd-snapshot", "lxd", "incus-snapshot", "incus", "cron"]
    assert [s.changed for s in done.steps] == [True, False, True, False, True]
    assert done.render("en").startswith("host stop: 3 daemon(s) stopped")
    did.clear()
    host.run_stop(argparse.Namespace(backend="incus"))
    assert did == ["incus-snapshot", "incus"]  # lxd's jobs may still need cron


def test_cron_stop_leaves_a_pid_that_is_not_its_cron_alone(monkeypatch, tmp_path):
    import os

    from snaplab.host import cron

    monkeypatch.setattr(setup.daemon, "RUN_DIR", tmp_path)
    assert cron.stop() is False  # no pid file: snaplab started no cron
    cron.pidfile().write_text(f"{os.getpid()}\n")  # this very pytest, not cron
    assert cron.stop() is False
    assert not cron.pidfile().exists()


def test_every_backend_has_its_own_snapshot_server():
    from snaplab.backends import BACKENDS

    records = list(BACKENDS.values())
    ports = [b.listen for b in records] + [SERVER.listen(b) for b in records]
    assert len(set(ports)) == len(ports)
    assert all(p.startswith("127.0.0.1:") for p in ports)  # nothing else may be listened on
    for field in (SERVER.home, SERVER.remote, lambda b: b.snapshot_create):
        values = [field(b) for b in records]
        assert len(set(values)) == len(values), values
    for b in records:
        assert SERVER.home(b) != b.var_dir and SERVER.remote(b).endswith("-snapshot")
        assert b.snapshot_create[0] == "snapshot"


def test_the_other_daemons_are_a_registry_with_a_place_on_every_backend():
    """As BACKENDS: lab.yaml names them, the schema takes its names from here, and each says
    where it lives, listens and is called on every backend, and what runs it."""
    from snaplab.backends import NAMES
    from snaplab.daemons import DAEMONS, get_daemon
    from snaplab.lab import schema

    assert schema.DAEMONS == tuple(DAEMONS) == ("snapshot-server",)
    for d in DAEMONS.values():
        for places in (d.homes, d.listens, d.remotes):
            assert set(places) == set(NAMES), d.name
        assert d.setup.startswith("--") and d.title.ko != d.title.en
        for fn in ("answering", "client", "socket", "status", "start", "stop"):
            assert callable(getattr(d.ops, fn)), fn
    with pytest.raises(SnaplabError):
        get_daemon("nope")
    from snaplab.backends import get_backend

    fields = set(get_backend("lxd").__dataclass_fields__)
    assert not [f for f in fields if f.startswith("snapshot_") and f != "snapshot_create"]
