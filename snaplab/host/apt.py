"""Debian packages for the host: what is installed, whether backports are on, apt-get itself."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

BACKPORTS_FILE = Path("/etc/apt/sources.list.d/snaplab-bookworm-backports.sources")
BACKPORTS = """Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
"""
# busybox-static: the lab image is built from its binary; sudo: the guide types `sudo snaplab`
BASE_PACKAGES = ("busybox-static", "sudo")


def installed(package: str) -> bool:
    out = subprocess.run(
        ["dpkg-query", "-W", "-f=${Status}", package], capture_output=True, text=True
    )
    return out.returncode == 0 and out.stdout.endswith(" installed")


def backports_enabled() -> bool:
    roots = [Path("/etc/apt/sources.list"), *Path("/etc/apt/sources.list.d").glob("*")]
    for path in roots:
        try:
            text = path.read_text()
        except OSError:
            continue
        if any(
            "bookworm-backports" in line and not line.lstrip().startswith("#")
            for line in text.splitlines()
        ):
            return True
    return False


def apt_install(packages: list[str], suite: str | None, say: Callable[[str], None]) -> None:
    """apt-get with its progress condensed to one line per package set up."""
    env = {"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
    subprocess.run(["apt-get", "update", "-q"], check=True, capture_output=True, env=env)
    argv = ["apt-get", "install", "-y", "-q", "--no-install-recommends"]
    if suite:
        argv += ["-t", suite]
    proc = subprocess.Popen(
        argv + packages, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )
    assert proc.stdout is not None
    tail: list[str] = []
    for line in proc.stdout:
        tail = (tail + [line.rstrip()])[-5:]
        if line.startswith("Setting up "):
            say("    " + line.split()[2])
    if proc.wait() != 0:
        raise subprocess.CalledProcessError(proc.returncode, argv, "\n".join(tail))
