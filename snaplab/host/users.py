"""The book's user for a backend (lxdadmin, incusadmin), in the daemon's group."""

from __future__ import annotations

import grp
import pwd

from snaplab.backends import Backend
from snaplab.host.shell import run


def user_ok(backend: Backend) -> bool:
    try:
        pwd.getpwnam(backend.user)
        return backend.user in grp.getgrnam(backend.group).gr_mem
    except KeyError:
        return False


def make_user(backend: Backend) -> None:
    try:
        pwd.getpwnam(backend.user)
        run(["usermod", "-aG", backend.group, backend.user])
    except KeyError:
        run(
            [
                "useradd",
                "--create-home",
                "--shell",
                "/bin/bash",
                "--groups",
                backend.group,
                backend.user,
            ]
        )
