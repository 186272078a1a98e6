"""Chapters 9 and 10 on this one machine: the primary copies to the snapshot server.

Everything the learner types runs as the book's user (lxdadmin, incusadmin) with
`runuser`, HOME set to theirs and a throwaway client directory (LXD_CONF /
INCUS_CONF), so their real ~/.config is never touched. The container, its copy
and the trust entry this test adds are removed again, on both daemons.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from snaplab.backends import NAMES, Backend, get_backend
from snaplab.daemons.snapshot_server import SNAPSHOT_SERVER as SERVER
from snaplab.host import daemon, image, snapshot_server
from snaplab.lab.model import Command
from snaplab.lab.player import Line, Player

pytestmark = pytest.mark.integration

PREFIX = "snapsrv-test-"


@dataclass
class Learner:
    """The book's user with a client directory of their own for this test."""

    backend: Backend
    conf: Path
    timings: dict[str, float]

    def run(
        self, *args: str, on_server: bool = False, check: bool = True, timeout: float = 300
    ) -> subprocess.CompletedProcess:
        """`lxc ARGS` as the user; on_server: `LXD_DIR=<snapshot dir> lxc ARGS`."""
        b = self.backend
        env = {
            "PATH": "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
            "HOME": f"/home/{b.user}",
            "LANG": "C.UTF-8",
            b.conf_env: str(self.conf),
        }
        if on_server:
            env[b.env_dir] = str(SERVER.home(b))
        done = subprocess.run(
            ["runuser", "-u", b.user, "--", b.cli, *args],
            capture_output=True,
            text=True,
            env=env,
            cwd="/tmp",
            stdin=subprocess.DEVNULL,
            timeout=timeout,
        )
        if check:
            where = f"{b.env_dir}={SERVER.home(b)} " if on_server else ""
            assert done.returncode == 0, (
                f"{where}{b.cli} {' '.join(args)}: rc={done.returncode}\n{done.stderr}{done.stdout}"
            )
        return done

    def timed(self, label: str, *args: str, **kw: bool) -> subprocess.CompletedProcess:
        t0 = time.monotonic()
        done = self.run(*args, **kw)
        self.timings[label] = round(time.monotonic() - t0, 2)
        return done


def require_snapshot_server(backend: Backend) -> None:
    state = snapshot_server.status(backend)
    if not (state.exists and state.answering) or not snapshot_server.primary_address(backend):
        pytest.fail(
            f"no {SERVER.remote(backend)} here ({state.detail.en}, primary listens on "
            f"{snapshot_server.primary_address(backend) or 'nothing'}): run "
            f"`sudo snaplab host setup --backend {backend.name} --snapshot-server`"
        )


def root_cli(backend: Backend, *args: str, on_server: bool = False) -> None:
    """Cleanup as root; never fails: it runs after whatever broke."""
    env = daemon.env(backend, SERVER.home(backend) if on_server else None)
    env.pop(backend.conf_env, None)
    subprocess.run([backend.cli, *args], capture_output=True, env=env, cwd="/", timeout=120)


def forget_trust(backend: Backend, name: str) -> None:
    """The certificate the token let in, and the token itself if it was never used."""
    root_cli(backend, "config", "trust", "revoke-token", name, on_server=True)
    certs = snapshot_server.client(backend).api.certificates.get(params={"recursion": 1})
    for cert in certs.json()["metadata"]:
        if cert.get("name") == name:
            root_cli(backend, "config", "trust", "remove", cert["fingerprint"], on_server=True)


@pytest.fixture(params=NAMES)
def learner(request: pytest.FixtureRequest) -> Iterator[tuple[Learner, str]]:
    if os.geteuid() != 0:
        pytest.skip("runs commands as the book's users: needs root")
    backend = get_backend(request.param)
    require_snapshot_server(backend)
    name = f"{PREFIX}{uuid.uuid4().hex[:8]}"
    conf = Path(tempfile.mkdtemp(prefix=f"{PREFIX}conf-", dir="/tmp"))
    shutil.chown(conf, backend.user, backend.user)
    conf.chmod(0o700)
    timings: dict[str, float] = {}
    try:
        yield Learner(backend, conf, timings), name
    finally:
        root_cli(backend, "delete", "--force", name)  # the primary's
        root_cli(backend, "delete", "--force", name, on_server=True)  # the copy
        forget_trust(backend, name)
        shutil.rmtree(conf, ignore_errors=True)
        print(f"\n[{backend.name}] timings (s): {json.dumps(timings)}")


def snapshots_on_server(who: Learner, name: str) -> list[str]:
    remote = SERVER.remote(who.backend)
    urls = json.loads(who.run("query", f"{remote}:/1.0/instances/{name}/snapshots").stdout)
    return sorted(url.rsplit("/", 1)[1] for url in urls)


def test_the_primary_copies_a_snapshot_to_the_snapshot_server_and_refreshes_it(learner):
    who, name = learner
    b = who.backend
    remote = SERVER.remote(b)

    # chapter 9 on the primary: a container and its snapshot
    who.timed("init", "init", image.ALIAS, name)
    who.run(*b.snapshot_create, name, "snap0")

    # on the snapshot server: a trust token; on the primary: the book's remote
    trust = b.trust_add.split()[1:]  # `config trust add --name NAME` / `config trust add NAME`
    token = who.run(*[name if w == "NAME" else w for w in trust], on_server=True)
    secret = token.stdout.strip().splitlines()[-1]
    assert len(secret) > 40 and " " not in secret, token.stdout
    added = who.timed("remote add", "remote", "add", remote, secret)
    assert remote in who.run("remote", "list", "--format", "csv").stdout, added.stdout

    # the snapshot, copied: a STOPPED instance on the server, seen from either side
    who.timed("copy", "copy", f"{name}/snap0", f"{remote}:{name}")
    listed = who.run("list", f"{remote}:", "--format", "csv", "--columns", "ns").stdout
    assert f"{name},STOPPED" in listed.splitlines(), listed
    there = who.run("list", "--format", "csv", "--columns", "ns", on_server=True).stdout
    assert f"{name},STOPPED" in there.splitlines(), there
    assert snapshots_on_server(who, name) == []  # a snapshot's copy has none of its own

    # chapter 10's nightly job: copy --refresh brings the snapshots across
    who.run(*b.snapshot_create, name, "snap1")
    # relay mode, as chapter 10's: a repeated refresh in pull mode may fail with "ETag
    # doesn't match" (labs/automating/lab.yaml says why)
    who.timed("copy --refresh", "copy", "--refresh", "--mode=relay", name, f"{remote}:{name}")
    assert snapshots_on_server(who, name) == ["snap0", "snap1"]
    listed = who.run("list", f"{remote}:", "--format", "csv", "--columns", "ns").stdout
    assert f"{name},STOPPED" in listed.splitlines(), listed

    # and a second refresh with nothing new is fine too (the cron job runs every night)
    who.timed(
        "copy --refresh (no change)", "copy", "--refresh", "--mode=relay", name, f"{remote}:{name}"
    )
    assert snapshots_on_server(who, name) == ["snap0", "snap1"]


@pytest.mark.parametrize("backend_name", NAMES)
def test_the_player_keeps_the_token_the_snapshot_server_prints(backend_name):
    """Chapter 9's first line as a lab types it: `LXD_DIR=... lxc config trust add` reaches
    the snapshot server only if the assignment reaches the environment, and `saves: token`
    keeps the token for the `remote add` after it."""
    if os.geteuid() != 0:
        pytest.skip("the snapshot server's socket is root's")
    b = get_backend(backend_name)
    require_snapshot_server(b)
    who = "snaplab-player-test"
    server = f"{b.env_dir}={SERVER.home(b)}"
    env = {k: v for k, v in os.environ.items() if k not in (b.env_dir, b.conf_env)}
    me = Player(env=env, cwd="/tmp", timeout=120)
    params = {"token": "TOKEN"}
    add = Line(
        "trust", Command(f"{server} {b.trust_add.replace('NAME', who)}", saves="token"), params
    )
    use = Line("remote", Command(f"{b.cli} remote add {SERVER.remote(b)} {{token}}"), params)
    try:
        done = me.play(add)
        assert done.returncode == 0, done.stderr
        token = params["token"]
        assert len(token) > 40 and " " not in token, done.stdout
        assert use.text.endswith(f" {token}")
        revoked = me.play(
            Line("trust", Command(f"{server} {b.cli} config trust revoke-token {who}"), {})
        )
        assert revoked.returncode == 0, revoked.stderr
    finally:
        forget_trust(b, who)
