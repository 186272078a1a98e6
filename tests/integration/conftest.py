"""Fixtures for tests that need real daemons: spare daemons and a throwaway user.

The main daemons (/var/lib/lxd, /var/lib/incus) are only ever read or given a
probe container that doctor removes itself; everything a test breaks is a spare
started here, shared for the whole session and removed at its end.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from snaplab.backends import BACKENDS, get_backend
from snaplab.host import image
from tests.conftest import worker_suffix
from tests.integration.spare import Spare, SpareError, preseed

# lab packs a test gives to snaplab (SNAPLAB_PATH): their checks grade a learner, not this suite
collect_ignore_glob = ["packs/*"]

# one per xdist worker: a worker that ends removes its own, never one another still uses
NOGROUP_USER = f"snaplab-nogroup{worker_suffix()}"

# What each kind of spare is, so a test names the breakage it needs.
KINDS = {
    "full": "initialised with snaplab's preseed, lab image imported",
    "noimage": "initialised with snaplab's preseed, no lab image",
    "nodisk": "a dir pool but no root disk in the default profile, lab image imported",
    "bare": "running, never initialised: no pool, no root disk, no image",
    "stopped": "started, then shut down: no socket",
    "killed": "started, then killed -9: a stale socket that refuses connections",
    "setup": "running, never initialised: for `snaplab host setup` to finish",
    "btrfs": "running, never initialised: for `snaplab host setup --storage btrfs`",
    "debian": "running, never initialised: for `snaplab host setup --image debian`",
    "https": "like full, and listening on 127.0.0.1:<free port> (core.https_address)",
    "classroom": "like full, for a whole class's projects; `class setup` makes it listen",
}


class Spares:
    """Spare daemons made on first use and shared by the whole session."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.made: dict[tuple[str, str], Spare] = {}
        self._tarball: Path | None = None

    @property
    def tarball(self) -> Path:
        if self._tarball is None:
            if not image.BUSYBOX.exists():
                pytest.skip(f"{image.BUSYBOX} is absent: the lab image cannot be built")
            self._tarball = image.build().write(self.base / "snaplab-lab.tar.gz")
        return self._tarball

    def get(self, backend: str, kind: str) -> Spare:
        assert kind in KINDS, kind
        key = (backend, kind)
        if key not in self.made:
            b = get_backend(backend)
            if not Path(b.daemon[0]).exists():
                pytest.skip(f"{b.daemon[0]} is not installed")
            spare = Spare(b, self.base / f"{backend}-{kind}", self.base / f"{backend}-{kind}.log")
            self.made[key] = spare  # registered first: a half-made spare is torn down too
            try:
                self._make(spare, kind)
            except SpareError as e:
                pytest.fail(f"could not make the {kind} {b.title} spare: {e}")
        return self.made[key]

    def _make(self, spare: Spare, kind: str) -> None:
        spare.start()
        if kind in ("full", "noimage", "https", "classroom"):
            spare.preseed(preseed())
        elif kind == "nodisk":
            spare.preseed(preseed(profile=False))
        if kind in ("full", "nodisk", "https", "classroom"):
            spare.import_image(self.tarball)
        if kind == "https":
            spare.listen_https()
        if kind == "stopped":
            spare.shutdown()
        elif kind == "killed":
            spare.kill()

    def destroy(self) -> None:
        for spare in self.made.values():
            spare.destroy()


@pytest.fixture(scope="session")
def spares() -> Iterator[Spares]:
    if os.geteuid() != 0:
        pytest.skip("spare daemons need root")
    # under /tmp and traversable: doctor also runs as other users against a spare
    base = Path(tempfile.mkdtemp(prefix="snaplab-spare-", dir="/tmp"))
    base.chmod(0o755)
    made = Spares(base)
    try:
        yield made
    finally:
        made.destroy()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def nogroup_user() -> Iterator[str]:
    """A throwaway user in neither daemon's group, removed at the end."""
    if os.geteuid() != 0:
        pytest.skip("creating a user needs root")
    try:
        pwd.getpwnam(NOGROUP_USER)  # left by a run that was killed: reuse, remove at the end
    except KeyError:
        subprocess.run(
            ["useradd", "--create-home", "--shell", "/bin/sh", NOGROUP_USER],
            check=True,
            capture_output=True,
        )
    try:
        for b in BACKENDS.values():
            try:
                members = grp.getgrnam(b.group).gr_mem
            except KeyError:
                continue
            assert NOGROUP_USER not in members, f"{NOGROUP_USER} is in {b.group}"
        yield NOGROUP_USER
    finally:
        subprocess.run(["userdel", "--remove", NOGROUP_USER], capture_output=True)
