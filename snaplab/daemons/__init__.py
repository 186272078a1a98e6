"""The daemons a lab may use besides the primary, by name: as BACKENDS is for LXD and Incus.

One name -> record map, one small file each. A record says what lab.yaml calls it
(`resources: daemons`), where it lives for each backend (a second daemon of the same kind
in a directory of its own: its LXD_DIR / INCUS_DIR), where it listens, the remote name a
learner gives it on the primary, the `host setup` option that makes it, and the module
that starts, asks and sets it up (`answering`, `client`, `socket`, `status`, `start`,
`stop`). The Backend records hold no chapter's daemon.
"""

from __future__ import annotations

from snaplab.backends import lookup
from snaplab.daemons.record import Daemon
from snaplab.daemons.snapshot_server import SNAPSHOT_SERVER
from snaplab.i18n import both

DAEMONS: dict[str, Daemon] = {d.name: d for d in (SNAPSHOT_SERVER,)}
NAMES = tuple(DAEMONS)  # what lab.yaml's resources.daemons may name


def get_daemon(name: str) -> Daemon:
    return lookup(DAEMONS, name, both("daemon", "데몬"))
