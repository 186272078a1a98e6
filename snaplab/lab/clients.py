"""A lab's other daemons (its `resources: daemons`) as clients, by role.

Its own module: `start`, `check` and `finish` (snaplab/lab/runner.py) ask it, and so does a
check's `daemons` fixture (snaplab/lab/graded.py), which the runner's grading builds.
"""

from __future__ import annotations

from typing import Any

from snaplab.daemons import get_daemon
from snaplab.errors import ExitCode, SnaplabError
from snaplab.lab.model import Lab


def daemon_clients(lab: Lab, backend: Any, strict: bool = True) -> dict[str, Any]:
    """The lab's other daemons (its `resources`), each answering, or one line saying which
    is not and how to start it. `strict=False`: those answering, for `finish`."""
    clients = {}
    for role in lab.daemons:  # the registry's names (snaplab/daemons)
        ops = get_daemon(role).ops
        if not ops.answering(backend):  # a socket probe; status() words why
            if strict:
                raise SnaplabError(ops.status(backend).detail, ExitCode.DAEMON_DOWN)
            continue
        clients[role] = ops.client(backend)
    return clients
