"""The preseed a daemon is initialised with: the primary's (`host setup`) and the snapshot server's.

Its own module because both snaplab/host/setup.py and snaplab/host/snapshot_server.py need
it, and setup also drives the snapshot server.
"""

from __future__ import annotations

import yaml


def preseed(bridge: bool, storage: str = "dir", size: str = "4GiB") -> str:
    """One pool and a root disk; `lxd init --auto` fails here (no free subnet).

    A btrfs pool is loop-backed (a file of `size` under the daemon's directory),
    so it needs no spare disk.
    """
    pool: dict = {"name": "default", "driver": storage}
    if storage == "btrfs":
        pool["config"] = {"size": size}
    doc: dict = {
        "storage_pools": [pool],
        "profiles": [
            {
                "name": "default",
                "devices": {"root": {"path": "/", "pool": "default", "type": "disk"}},
            }
        ],
    }
    if bridge:
        doc["networks"] = [
            {
                "name": "snaplabbr0",
                "type": "bridge",
                "config": {"ipv4.address": "auto", "ipv6.address": "none"},
            }
        ]
        doc["profiles"][0]["devices"]["eth0"] = {
            "name": "eth0",
            "network": "snaplabbr0",
            "type": "nic",
        }
    return yaml.safe_dump(doc)
