"""Which daemon: LXD or Incus. One name -> object map, one small file each.

Everything that differs between the two daemons (binaries, socket, group,
package suite) lives in these records, so no other module says "if incus". A lab's
other daemons (the snapshot server) are a registry of their own: snaplab/daemons.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from snaplab.errors import ExitCode, SnaplabError
from snaplab.i18n import Text, both

T = TypeVar("T")


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

    @property
    def socket(self) -> Path:
        """Like the CLIs, honour LXD_DIR / INCUS_DIR: a second daemon beside the first."""
        return Path(os.environ.get(self.env_dir) or self.var_dir) / "unix.socket"


def _load() -> dict[str, Backend]:
    from snaplab.backends.incus import INCUS
    from snaplab.backends.lxd import LXD

    return {b.name: b for b in (LXD, INCUS)}


BACKENDS: dict[str, Backend] = _load()
NAMES = tuple(BACKENDS)  # argparse choices and roster checks: a third daemon is one file
PICKS = (*NAMES, "all")  # what `pick` takes


def trust_commands() -> Text:
    """Each daemon's way to make a trust token, for a message that does not know which it is."""
    commands = [f"`{b.trust_add}`" for b in BACKENDS.values()]
    return both(" or ".join(commands), " 또는 ".join(commands))


def get_backend(name: str) -> Backend:
    return lookup(BACKENDS, name, both("backend", "백엔드"))


def lookup(registry: Mapping[str, T], name: str, kind: Text) -> T:
    """A registry's record by name (BACKENDS, snaplab.daemons.DAEMONS), or one line naming
    the ones there are."""
    try:
        return registry[name]
    except KeyError:
        known = ", ".join(registry)
        raise SnaplabError(
            both(
                f"unknown {kind.en} {name!r}: use one of {known}",
                f"알 수 없는 {kind.ko} {name!r}입니다: {known} 중 하나를 사용하세요",
            ),
            ExitCode.USAGE,
        ) from None


def pick(name: str) -> list[Backend]:
    """`all` means both, in a fixed order."""
    return list(BACKENDS.values()) if name == "all" else [get_backend(name)]
