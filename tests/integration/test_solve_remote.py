"""`snaplab solve --remote`: the guide's commands reach the stored remote, not the local daemon.

Each backend gets a spare daemon listening on 127.0.0.1:<free port> (never another
address). The learner's snaplab config, certificate and journals live in a
temporary HOME; solve's throwaway client config goes to a temporary TMPDIR, which
must be empty again afterwards. The main daemons must never see the container.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from snaplab import remotes
from snaplab.errors import ExitCode
from snaplab.transports import Target, connect
from tests.conftest import snaplab
from tests.integration.learner import home_env, recorders_of

pytestmark = pytest.mark.integration

BACKENDS = ["lxd", "incus"]


@pytest.fixture(scope="module")
def home() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="snaplab-solve-remote-", dir="/tmp"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def on_main_daemon(backend: str, name: str) -> bool:
    return bool(connect(Target(backend, None, "default")).client.instances.exists(name))


@pytest.mark.parametrize("backend", BACKENDS)
def test_solve_drives_the_remote(spares, home, tmp_path, backend):
    spare = spares.get(backend, "https")
    env = {**home_env(home), "TMPDIR": str(tmp_path)}
    name, instance = f"solve-{backend}", f"fx-solve-remote-{backend}"
    r = snaplab("remote", "add", name, spare.url, "--token", spare.trust_token(name), env=env)
    assert r.rc == ExitCode.OK, r.err
    lab = ("snapshots", "--remote", name, "--instance", instance)
    assert not on_main_daemon(backend, instance)
    try:
        r = snaplab("start", *lab, env=env)
        assert r.rc == ExitCode.OK, r.err
        assert instance in spare.instances()

        r = snaplab("solve", *lab, env=env)
        assert r.rc == ExitCode.OK, r.err
        assert f"$ {spare.backend.cli} snapshot" in r.err
        assert list(tmp_path.iterdir()) == []  # the client config, key included, is gone

        r = snaplab("check", *lab, "--json", env=env)
        report = json.loads(r.out)
        assert r.rc == ExitCode.OK, report
        assert report["complete"] and report["score"] == report["max_score"], report
        assert not on_main_daemon(backend, instance)
    finally:
        r = snaplab("finish", *lab, env=env)
        assert r.rc == ExitCode.OK, r.err
    assert instance not in spare.instances()
    assert recorders_of(home) == []


@pytest.mark.parametrize("backend", BACKENDS)
def test_solve_refuses_a_server_that_is_not_the_pinned_one(spares, tmp_path, backend):
    spare = spares.get(backend, "https")
    home, tmp = tmp_path / "home", tmp_path / "tmp"  # its own: one remote for the URL
    tmp.mkdir()
    env = {**home_env(home), "TMPDIR": str(tmp)}
    name = f"solve-pin-{backend}"
    r = snaplab("remote", "add", name, spare.url, "--token", spare.trust_token(name), env=env)
    assert r.rc == ExitCode.OK, r.err
    pin = home / ".config" / "snaplab" / "servercerts" / f"{name}.crt"
    pin.write_bytes(remotes.self_signed("impostor", days=1)[0])
    r = snaplab("solve", "snapshots", "--remote", name, "--instance", "fx-never-made", env=env)
    assert r.rc == ExitCode.PERMISSION, r.err
    assert len(r.lines) == 1 and "not the pinned" in r.lines[0], r.err  # before any command
    assert list(tmp.iterdir()) == []
