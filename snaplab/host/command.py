"""`snaplab` and `pytest` on every user's PATH, and `sudo` for the book's users, as the
guide types them.

snaplab lives in a venv under /opt (Makefile: /opt/snaplab/venv). Debian's way to
offer a locally installed tool to everyone is a link in /usr/local/bin, which is on
the PATH of root, of login shells and of sudo's secure_path. The README and the
guide type `pytest checks/test_snapshots.py ...`: that is the venv's pytest, which has
snaplab's plugin and testinfra; a fresh Debian has no other. A real `pytest` someone
put in /usr/local/bin is theirs, and left alone.

The book's chapter 1 lets lxdadmin use sudo, and the guide types `sudo snaplab host
setup` and `sudo snaplab host stop`. The book's users have no password here, so the
drop-in lets them use sudo without one. Membership of the lxd or incus-admin group
is already root-equivalent (it can start a privileged container), so this gives the
book's users nothing they did not have.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from snaplab.backends import BACKENDS

LINK = Path("/usr/local/bin/snaplab")
PYTEST = Path("/usr/local/bin/pytest")
SUDOERS = Path("/etc/sudoers.d/snaplab")


def installed_command(name: str = "snaplab") -> Path:
    """A script of the environment this process runs in."""
    return Path(sys.prefix) / "bin" / name


def _linked(link: Path) -> bool:
    target = installed_command(link.name)
    return link.is_symlink() and Path(os.readlink(link)) == target and target.exists()


def on_path() -> bool:
    someone_elses = PYTEST.exists() and not PYTEST.is_symlink()
    return _linked(LINK) and (_linked(PYTEST) or someone_elses)


def link() -> None:
    if LINK.is_symlink() or not LINK.exists():  # never replace a real file someone put there
        LINK.unlink(missing_ok=True)
        LINK.symlink_to(installed_command())
    else:
        raise OSError(f"{LINK} exists and is not a link to snaplab: remove it, then run again")
    if PYTEST.is_symlink() or not PYTEST.exists():
        PYTEST.unlink(missing_ok=True)
        PYTEST.symlink_to(installed_command("pytest"))


def sudoers_text() -> str:
    users = sorted(b.user for b in BACKENDS.values())
    lines = [f"{u} ALL=(ALL:ALL) NOPASSWD: ALL" for u in users]
    return "# snaplab host setup: the book's users may use sudo (see snaplab/host/command.py)\n" + (
        "\n".join(lines) + "\n"
    )


def sudo_ok() -> bool:
    try:
        return SUDOERS.read_text() == sudoers_text()
    except OSError:
        return False


def allow_sudo() -> None:
    """Written aside and checked with visudo first: a broken sudoers file locks sudo out."""
    draft = SUDOERS.with_name(".snaplab.new")
    draft.write_text(sudoers_text())
    draft.chmod(0o440)
    check = subprocess.run(["visudo", "-c", "-f", str(draft)], capture_output=True, text=True)
    if check.returncode != 0:
        draft.unlink(missing_ok=True)
        raise OSError(f"visudo refused the drop-in: {check.stdout.strip() or check.stderr.strip()}")
    draft.replace(SUDOERS)
