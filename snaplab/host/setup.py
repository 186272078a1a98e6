"""`host setup`: from a bare Debian 12 to a daemon that can run the labs.

Each step first asks whether it is needed, so a second run changes nothing and
says so, and `--dry-run` is the same plan without the doing.
"""

from __future__ import annotations

import grp
import pwd
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml
from pylxd.exceptions import NotFound

from snaplab.backends import Backend
from snaplab.host import daemon, image

BACKPORTS_FILE = Path("/etc/apt/sources.list.d/snaplab-bookworm-backports.sources")
BACKPORTS = """Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
"""
IMAGE_CACHE = Path("/var/cache/snaplab")
BASE_PACKAGES = ("busybox-static",)  # the lab image is built from its binary


@dataclass
class Step:
    backend: str
    title: str
    needed: bool
    do: Callable[[], object]  # what it returns is ignored


@dataclass
class Options:
    bridge: bool = False
    remote_image: str | None = None  # e.g. images:ubuntu/22.04 on a host with internet


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


def preseed(bridge: bool) -> str:
    """A `dir` pool and a root disk; `lxd init --auto` fails here (no free subnet)."""
    doc: dict = {
        "storage_pools": [{"name": "default", "driver": "dir"}],
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


def image_fingerprint(backend: Backend) -> str | None:
    from snaplab.transports import Target, connect

    if not daemon.answering(backend):
        return None
    client = connect(Target(backend.name)).client
    try:
        r = client.api.images.aliases[image.ALIAS].get()
    except NotFound:
        return None
    return str(r.json()["metadata"]["target"])


def import_image(backend: Backend, built: image.Image) -> None:
    path = built.write(IMAGE_CACHE / "snaplab-lab.tar.gz")
    if run([backend.cli, "image", "info", built.fingerprint], check=False):
        run([backend.cli, "image", "import", str(path)])
    run([backend.cli, "image", "alias", "delete", image.ALIAS], check=False)
    run([backend.cli, "image", "alias", "create", image.ALIAS, built.fingerprint])


def copy_remote_image(backend: Backend, remote: str) -> None:
    run([backend.cli, "image", "alias", "delete", image.ALIAS], check=False)
    run([backend.cli, "image", "copy", remote, "local:", "--alias", image.ALIAS])


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


def run(argv: list[str], check: bool = True, stdin: str | None = None) -> int:
    done = subprocess.run(argv, input=stdin, capture_output=True, text=True)
    if check and done.returncode != 0:
        raise subprocess.CalledProcessError(done.returncode, argv, done.stdout, done.stderr)
    return done.returncode


def plan(
    backend: Backend, opts: Options, say: Callable[[str], None], built: Callable[[], image.Image]
) -> Iterator[Step]:
    """The steps for one backend, each computed just before it is offered.

    A generator, because whether the preseed is needed can only be asked once
    the daemon answers.
    """
    name = backend.name
    if backend.apt_suite and not backports_enabled():
        yield Step(
            name,
            f"enable Debian {backend.apt_suite}",
            True,
            lambda: BACKPORTS_FILE.write_text(BACKPORTS),
        )
    missing = [p for p in (*backend.packages, *BASE_PACKAGES) if not installed(p)]
    yield Step(
        name,
        f"install {' '.join(backend.packages)} (apt-get)",
        bool(missing),
        lambda: apt_install(missing, backend.apt_suite, say),
    )
    yield Step(
        name,
        f"start the {backend.title} daemon",
        not daemon.answering(backend),
        lambda: daemon.start(backend) and None,
    )
    yield Step(
        name,
        "initialise: a dir pool and a root disk in the default profile",
        not initialised(backend),
        lambda: run(list(backend.preseed), stdin=preseed(opts.bridge)),
    )
    yield Step(
        name,
        f"create user {backend.user} in group {backend.group}",
        not user_ok(backend),
        lambda: make_user(backend),
    )
    if opts.remote_image:
        yield Step(
            name,
            f"copy {opts.remote_image} as {image.ALIAS}",
            image_fingerprint(backend) is None,
            lambda: copy_remote_image(backend, opts.remote_image or ""),
        )
    else:
        current = image_fingerprint(backend)
        stale = current is None or not image.BUSYBOX.exists() or current != built().fingerprint
        yield Step(
            name,
            f"import the offline lab image as {image.ALIAS}",
            stale,
            lambda: import_image(backend, built()),
        )


def image_builder(say: Callable[[str], None]) -> Callable[[], image.Image]:
    """Build the image at most once per run, and only when first asked for."""
    cache: list[image.Image] = []

    def get() -> image.Image:
        if not cache:
            say("    building the lab image from busybox-static")
            cache.append(image.build())
        return cache[0]

    return get


def stderr(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)
