"""Incus 6.0 from Debian bookworm-backports."""

from pathlib import Path

from snaplab.backends.record import Backend

INCUS = Backend(
    name="incus",
    title="Incus",
    cli="incus",
    daemon=("/usr/libexec/incus/incusd", "--group", "incus-admin"),
    waitready=("incus", "admin", "waitready", "--timeout"),
    preseed=("incus", "admin", "init", "--preseed"),
    shutdown=("incus", "admin", "shutdown", "--timeout"),
    var_dir=Path("/var/lib/incus"),
    group="incus-admin",
    user="incusadmin",
    packages=("incus-base", "incus-client"),  # "incus" adds qemu: VMs do not run here
    apt_suite="bookworm-backports",
    env_dir="INCUS_DIR",
    conf_env="INCUS_CONF",
    protocol="incus",
    trust_field="trust_token",  # Incus dropped LXD's `password`
    trust_add="incus config trust add NAME",  # the name is positional here
    extension_mark="dev_incus",  # dev_incus_events...: LXD's devlxd_*, renamed
    listen="127.0.0.1:8444",  # beside LXD on one classroom host
    file_header="X-Incus",  # X-Incus-Uid, -Gid, -Mode, -Type
    snapshot_create=("snapshot", "create"),  # `incus snapshot NAME SNAP` is the book's slip
)
