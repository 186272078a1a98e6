"""LXD 5.0 as Debian 12 ships it."""

from pathlib import Path

from snaplab.backends.record import Backend

LXD = Backend(
    name="lxd",
    title="LXD",
    cli="lxc",
    daemon=("/usr/bin/lxd", "--group", "lxd"),
    waitready=("lxd", "waitready", "--timeout"),
    preseed=("lxd", "init", "--preseed"),
    shutdown=("lxd", "shutdown", "--timeout"),
    var_dir=Path("/var/lib/lxd"),
    group="lxd",
    user="lxdadmin",
    packages=("lxd", "lxd-client"),
    env_dir="LXD_DIR",
    conf_env="LXD_CONF",
    protocol="lxd",
    trust_add="lxc config trust add --name NAME",
    extension_mark="devlxd",  # devlxd_events, devlxd_images...
    source_encodings=2,  # 5.0.2: /snapshots/%25EC%2597%2585 for 업
)
