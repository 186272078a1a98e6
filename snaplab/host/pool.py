"""The primary's lab pool: whether the daemon is initialised, on which driver, and which
drivers `--storage` may ask for."""

from __future__ import annotations

from snaplab.backends import Backend
from snaplab.errors import ExitCode, SnaplabError
from snaplab.host import daemon
from snaplab.i18n import text

STORAGE = ("dir", "btrfs", "zfs")  # what --storage offers; zfs only to refuse it plainly
STORAGE_PACKAGES = {"btrfs": ("btrfs-progs",)}  # the daemons shell out to mkfs.btrfs


def initialised(backend: Backend) -> bool:
    from snaplab.transports import Target, connect

    if not daemon.answering(backend):
        return False
    client = connect(Target(backend.name)).client
    pools = client.api.storage_pools.get().json()["metadata"]
    devices = client.api.profiles["default"].get().json()["metadata"]["devices"]
    return bool(pools) and any(
        d.get("type") == "disk" and d.get("path") == "/" for d in devices.values()
    )


def check_storage(storage: str) -> None:
    """ZFS is neither a module nor a package on this kind of host: say so, do not fake it."""
    if storage not in STORAGE:
        raise SnaplabError(text("storage_unknown", storage=storage, known=", ".join(STORAGE)))
    if storage == "zfs":
        raise SnaplabError(text("storage_no_zfs"), ExitCode.SETUP_FAILED)


def pool_driver(backend: Backend) -> str | None:
    """The driver of the pool the default profile's root disk lives on, if initialised."""
    from snaplab.transports import Target, connect

    if not daemon.answering(backend):
        return None
    client = connect(Target(backend.name)).client
    devices = client.api.profiles["default"].get().json()["metadata"]["devices"]
    root = [d for d in devices.values() if d.get("type") == "disk" and d.get("path") == "/"]
    if not root or not root[0].get("pool"):
        return None
    meta = client.api.storage_pools[root[0]["pool"]].get().json()["metadata"]
    return str(meta["driver"])


def check_switch(backend: Backend, current: str | None, wanted: str) -> None:
    """Refuse to move a host between drivers.

    Moving the default pool means moving every instance on it, including ones
    snaplab did not create; that is not ours to do, so stop and say how.
    """
    if current is not None and current != wanted:
        raise SnaplabError(
            text("storage_switch", backend=backend.name, current=current, wanted=wanted),
            ExitCode.CONFLICT,
        )
