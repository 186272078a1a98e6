"""The record of one daemon a lab may use besides the primary (see snaplab/daemons/__init__.py).

Its own module so that the registry can build itself from its submodules while they import
the record from here, not from the registry.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from snaplab.i18n import Text

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
