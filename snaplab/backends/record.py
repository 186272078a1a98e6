"""The record of one daemon kind: all that differs between LXD and Incus.

Its own module so that the registry (snaplab/backends/__init__.py) can build itself from
lxd.py and incus.py while they import the record from here, not from the registry.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Backend:
    name: str  # "lxd" or "incus", as in environment.server
    title: str
    cli: str  # the client learners type
    daemon: tuple[str, ...]  # argv that runs the daemon in the foreground
    waitready: tuple[str, ...]
    preseed: tuple[str, ...]
    shutdown: tuple[str, ...]
    var_dir: Path
    group: str  # members may use the socket
    user: str  # the book's unprivileged user
    packages: tuple[str, ...]
    apt_suite: str | None = None  # None: the release's own suite
    env_dir: str = ""  # LXD_DIR / INCUS_DIR: a second daemon beside the first
    listen: str = "127.0.0.1:8443"  # where a class reaches it, if it does not listen yet
    source_encodings: int = 1  # times a lifecycle event's source URL is percent-encoded
    conf_env: str = ""  # LXD_CONF / INCUS_CONF: the client's config directory (remotes, certs)
    protocol: str = ""  # a remote's `protocol:` in that directory's config.yml
    trust_field: str = "password"  # where POST /1.0/certificates takes a trust token
    extension_mark: str = ""  # in GET /1.0's api_extensions even when untrusted: who it is
    trust_add: str = ""  # the server-side command that prints a trust token
    snapshot_create: tuple[str, ...] = ("snapshot",)  # CLI words before NAME SNAP
    file_header: str = "X-LXD"  # the files API's headers: X-LXD-Uid, -Gid, -Mode, -Type

    @property
    def socket(self) -> Path:
        """Like the CLIs, honour LXD_DIR / INCUS_DIR: a second daemon beside the first."""
        return Path(os.environ.get(self.env_dir) or self.var_dir) / "unix.socket"
