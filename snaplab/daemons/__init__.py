"""The daemons a lab may use besides the primary, by name: as BACKENDS is for LXD and Incus.

One name -> record map, one small file each. A record says what lab.yaml calls it
(`resources: daemons`), where it lives for each backend (a second daemon of the same kind
in a directory of its own: its LXD_DIR / INCUS_DIR), where it listens, the remote name a
learner gives it on the primary, the `host setup` option that makes it, and the module
that starts, asks and sets it up (`answering`, `client`, `socket`, `status`, `start`,
`stop`). The Backend records hold no chapter's daemon.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from snaplab.i18n import Text, both

if TYPE_CHECKING:
    from snaplab.backends import Backend


@dataclass(frozen=True)
class Daemon:
    name: str  # as lab.yaml names it in resources.daemons, and a check's `daemons[...]`
    title: Text
    homes: Mapping[str, Path]  # backend -> its LXD_DIR / INCUS_DIR
    listens: Mapping[str, str]  # backend -> its core.https_address, never beside the primary's
    remotes: Mapping[str, str]  # backend -> the remote name for it on the primary
    setup: str  # the `snaplab host setup` option that makes it
    module: str  # what starts, asks and sets it up

    def home(self, backend: Backend) -> Path:
        return self.homes[backend.name]

    def listen(self, backend: Backend) -> str:
        return self.listens[backend.name]

    def remote(self, backend: Backend) -> str:
        """Also its pid file's and log's name under /run/snaplab and /var/log/snaplab."""
        return self.remotes[backend.name]

    @property
    def ops(self) -> ModuleType:
        return importlib.import_module(self.module)


def _load() -> dict[str, Daemon]:
    from snaplab.daemons.snapshot_server import SNAPSHOT_SERVER

    return {d.name: d for d in (SNAPSHOT_SERVER,)}


DAEMONS: dict[str, Daemon] = _load()
NAMES = tuple(DAEMONS)  # what lab.yaml's resources.daemons may name


def get_daemon(name: str) -> Daemon:
    from snaplab.backends import lookup

    return lookup(DAEMONS, name, both("daemon", "데몬"))
