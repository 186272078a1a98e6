"""Two `snaplab start`s at once, as from two terminals, on the real daemons.

With one state directory the second start waits for the first (a lock in the
session's directory), then finds its container and its recorder: both say the
lab is ready. From two state directories (as another user would be) the later
one cannot wait; if the daemon is still busy with the first it says so in one
line, exit 6, and leaves the first's container alone. The main daemons only get
containers named fx-…, removed here.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from snaplab.errors import ExitCode
from snaplab.lab.journal import read
from snaplab.transports import Target, connect
from tests.conftest import snaplab
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


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_start_from_another_state_directory_says_one_is_running(backend, tmp_path):
    instance = f"fx-start-other-{backend}"
    homes = [tmp_path / "a", tmp_path / "b"]
    for home in homes:
        finish(backend, instance, home)
    try:
        results = together(backend, instance, homes)
        assert ExitCode.OK in [rc for rc, _, _ in results], results
        for rc, _, err in results:
            if rc != ExitCode.OK:  # it met the first's create: it says so and changes nothing
                assert rc == ExitCode.CONFLICT, err
                lines = err.strip().splitlines()
                assert len(lines) == 1 and lines[0].startswith("snaplab: "), err
                assert "already running" in lines[0] and "again" in lines[0], err
        assert exists(backend, instance)
    finally:
        for home in homes:
            finish(backend, instance, home)
    assert not exists(backend, instance)
    assert recorders_of(tmp_path) == []
