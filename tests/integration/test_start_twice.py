"""Two `snaplab start`s at once, as from two terminals, on the real daemons.

With one state directory the second start waits for the first (a lock in the
session's directory), then finds its container and its recorder: both say the
lab is ready. From two state directories (as another user would be) the later
one cannot wait: while the first runs it says so in one
line, exit 6, and leaves the first's container alone, at whichever moment of the
first's work it arrives (a proxy holds the first there). The main daemons only get
containers named fx-…, removed here.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from snaplab.backends import get_backend
from snaplab.errors import ExitCode
from snaplab.lab.journal import read
from snaplab.transports import Target, connect
from tests.conftest import snaplab
from tests.integration.holding import HoldingProxy
from tests.integration.learner import recorders_of
from tests.integration.spare import cli_argv, cli_env

pytestmark = pytest.mark.integration

BACKENDS = ["lxd", "incus"]


def exists(backend: str, name: str) -> bool:
    return bool(connect(Target(backend, None, "default")).client.instances.exists(name))


def together(backend: str, instance: str, homes: list[Path]) -> list[tuple[int, str, str]]:
    """`snaplab start` once per state directory, all launched before any is waited for."""
    procs = [
        subprocess.Popen(
            cli_argv("start", "snapshots", "--backend", backend, "--instance", instance),
            env=cli_env({"XDG_STATE_HOME": str(home), "SNAPLAB_LANG": "en"}),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd="/tmp",
        )
        for home in homes
    ]
    done = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert "Traceback" not in err, err
        done.append((p.returncode, out, err))
    return done


def finish(backend: str, instance: str, home: Path) -> None:
    r = snaplab(
        "finish", "snapshots", "--backend", backend, "--instance", instance,
        env={"XDG_STATE_HOME": str(home)},
    )  # fmt: skip
    assert r.rc == ExitCode.OK, r.err


@pytest.mark.parametrize("backend", BACKENDS)
def test_two_starts_in_one_state_directory_both_get_the_lab(backend, tmp_path):
    instance = f"fx-start-twice-{backend}"
    finish(backend, instance, tmp_path)  # a killed run's
    try:
        results = together(backend, instance, [tmp_path, tmp_path])
        for rc, out, err in results:
            assert rc == ExitCode.OK, err
            assert f"lab snapshots ready: {backend} container {instance} is running" in out
            assert err == ""
        assert exists(backend, instance)
        assert len(recorders_of(tmp_path)) == 1
        journal = tmp_path / "snaplab" / f"snapshots-{backend}-local-default-{instance}"
        starts = [e for e in read(journal / "journal.jsonl") if e.kind == "start"]
        assert len(starts) == 1, starts  # one container, made once
    finally:
        finish(backend, instance, tmp_path)
    assert not exists(backend, instance)
    assert recorders_of(tmp_path) == []


# Where the first start is held while the second one runs: its create not yet sent,
# the daemon busy creating (the first waits on the create operation), the daemon asked
# to start the container. CI once met the second case by chance and said "daemon
# refused", exit 3.
MOMENTS = {
    "before-create": rb"^POST /1\.0/instances[ ?]",
    "during-create": rb"^GET /1\.0/operations/[^/ ]+/wait",
    "during-start": rb"^PUT /1\.0/instances/[^/ ]+/state",
}


@pytest.mark.parametrize("moment", MOMENTS)
@pytest.mark.parametrize("backend", BACKENDS)
def test_a_start_from_another_state_directory_says_one_is_running(backend, moment, tmp_path):
    """The first start goes through a proxy that holds it at `moment`; the second, from
    another state directory, must say in one line that a start is running (exit 6) and
    change nothing; the first then goes on and gets its lab."""
    instance = f"fx-start-other-{backend}"
    homes = [tmp_path / "a", tmp_path / "b"]
    b = get_backend(backend)
    for home in homes:
        finish(backend, instance, home)
    proxy = HoldingProxy(b.socket, tmp_path / "via", MOMENTS[moment])
    try:
        first = subprocess.Popen(
            cli_argv("start", "snapshots", "--backend", backend, "--instance", instance),
            env=cli_env(
                {
                    "XDG_STATE_HOME": str(homes[0]),
                    "SNAPLAB_LANG": "en",
                    b.env_dir: str(proxy.directory),
                }
            ),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd="/tmp",
        )
        if not proxy.held.wait(120):
            first.kill()
            pytest.fail(f"the first start never reached {moment}: {first.communicate()}")
        second = snaplab(
            "start", "snapshots", "--backend", backend, "--instance", instance,
            env={"XDG_STATE_HOME": str(homes[1]), "SNAPLAB_LANG": "en"},
        )  # fmt: skip
        assert second.rc == ExitCode.CONFLICT, second
        assert len(second.lines) == 1 and second.lines[0].startswith("snaplab: "), second.err
        assert "already running" in second.err and "again" in second.err, second.err
        assert not list(homes[1].rglob("journal.jsonl")), "the refused start began a journal"
        proxy.release()
        out, err = first.communicate(timeout=300)
        assert first.returncode == ExitCode.OK, err
        assert f"lab snapshots ready: {backend} container {instance} is running" in out
        assert exists(backend, instance)
    finally:
        proxy.release()
        for home in homes:
            finish(backend, instance, home)
        proxy.close()
    assert not exists(backend, instance)
    assert recorders_of(tmp_path) == []
