"""A testinfra backend that runs commands over the daemon's REST API.

testinfra's own `lxc://` backend shells out to the `lxc` binary: LXD only,
local only, and a process per command. This one works for LXD and Incus, over
the local socket or HTTPS, through the connection snaplab already holds.
Every command carries the recorder's mark, so the checks' own reads are never
mistaken for the learner's.
"""

from __future__ import annotations

from typing import Any

import testinfra.backend
from testinfra.backend import base

from snaplab import instance
from snaplab.lab.recorder import OWN_MARK

NAME = "snaplab"


class SnaplabBackend(base.BaseBackend):
    NAME = NAME

    def __init__(self, name: str, *args: Any, client: Any = None, **kwargs: Any) -> None:
        self.name = name
        self.client = client
        super().__init__(name, *args, **kwargs)

    def run(self, command: str, *args: str, **kwargs: Any) -> base.CommandResult:
        cmd = self.get_command(command, *args)
        done = instance.execute(self.client, self.name, ["/bin/sh", "-c", cmd, OWN_MARK])
        return self.result(done.rc, self.encode(cmd), done.stdout, done.stderr)


def register() -> None:
    testinfra.backend.BACKENDS[NAME] = f"{__name__}.SnaplabBackend"


def get_host(name: str, client: Any) -> Any:
    import testinfra

    register()
    return testinfra.get_host(f"{NAME}://{name}", client=client)
