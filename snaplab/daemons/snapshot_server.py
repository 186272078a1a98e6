"""The book's snapshot server (chapters 9 and 10): a second daemon of each kind on this machine.

How a learner works on it, and how snaplab runs it: snaplab/host/snapshot_server.py.
"""

from pathlib import Path

from snaplab.daemons.record import Daemon
from snaplab.i18n import both

SNAPSHOT_SERVER = Daemon(
    name="snapshot-server",
    title=both("snapshot server", "스냅샷 서버"),
    homes={"lxd": Path("/var/lib/lxd-snapshot"), "incus": Path("/var/lib/incus-snapshot")},
    listens={"lxd": "127.0.0.1:8445", "incus": "127.0.0.1:8446"},
    remotes={"lxd": "lxd-snapshot", "incus": "incus-snapshot"},  # the book's
    setup="--snapshot-server",
    module="snaplab.host.snapshot_server",
)
