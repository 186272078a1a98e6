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

from pylxd.exceptions import NotFound

from snaplab.backends import Backend
from snaplab.daemons.snapshot_server import SNAPSHOT_SERVER
from snaplab.errors import ExitCode, SnaplabError
from snaplab.host import command, cron, daemon, debian_image, image, snapshot_server
from snaplab.host.preseed import preseed
from snaplab.i18n import Text, both, text

BACKPORTS_FILE = Path("/etc/apt/sources.list.d/snaplab-bookworm-backports.sources")
BACKPORTS = """Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
"""
IMAGE_CACHE = Path("/var/cache/snaplab")
# busybox-static: the lab image is built from its binary; sudo: the guide types `sudo snaplab`
BASE_PACKAGES = ("busybox-static", "sudo")
STORAGE = ("dir", "btrfs", "zfs")  # what --storage offers; zfs only to refuse it plainly
STORAGE_PACKAGES = {"btrfs": ("btrfs-progs",)}  # the daemons shell out to mkfs.btrfs
IMAGES = ("busybox", "debian")  # what --image builds here; REMOTE:ALIAS copies instead
IMAGE_PACKAGES = {"debian": ("mmdebstrap",)}


@dataclass
class Step:
    backend: str
    title: Text  # --json shows the English, the progress lines the reader's language
    needed: bool
    do: Callable[[], object]  # what it returns is ignored


@dataclass
class Options:
    bridge: bool = False
    image: str = "busybox"  # or debian, or REMOTE:ALIAS (e.g. images:ubuntu/22.04, needs internet)
    storage: str = "dir"  # the lab pool's driver: dir copies, btrfs snapshots in place
    pool_size: str = "4GiB"  # btrfs only: the size of its loop file
    snapshot_server: bool = False  # chapters 9 and 10: a second daemon, primary listens, cron


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


def check_image(name: str) -> None:
    if name not in IMAGES and ":" not in name:
        raise SnaplabError(text("image_unknown", image=name))


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


def import_image(backend: Backend, paths: list[Path], fingerprint: str) -> None:
    """Import unless the daemon holds it already, then point the alias at it.

    The image the alias pointed at before stays: it may be a user's.
    """
    if run([backend.cli, "image", "info", fingerprint], check=False):
        run([backend.cli, "image", "import", *map(str, paths)])
    run([backend.cli, "image", "alias", "delete", image.ALIAS], check=False)
    run([backend.cli, "image", "alias", "create", image.ALIAS, fingerprint])


def import_busybox(backend: Backend, built: image.Image) -> None:
    import_image(backend, [built.write(IMAGE_CACHE / "snaplab-lab.tar.gz")], built.fingerprint)


def debian_fingerprint() -> str | None:
    made = debian_image.files(IMAGE_CACHE)
    return made.fingerprint if made.exist() else None


def import_debian(backend: Backend) -> None:
    made = debian_image.files(IMAGE_CACHE)
    import_image(backend, [made.meta, made.rootfs], made.fingerprint)


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
    backend: Backend,
    opts: Options,
    say: Callable[[str | Text], None],
    built: Callable[[], image.Image],
) -> Iterator[Step]:
    """The steps for one backend, each computed just before it is offered.

    A generator, because whether the preseed is needed can only be asked once
    the daemon answers.
    """
    name = backend.name
    if backend.apt_suite and not backports_enabled():
        yield Step(
            name,
            both(f"enable Debian {backend.apt_suite}", f"데비안 {backend.apt_suite} 저장소 켜기"),
            True,
            lambda: BACKPORTS_FILE.write_text(BACKPORTS),
        )
    extra = (*STORAGE_PACKAGES.get(opts.storage, ()), *IMAGE_PACKAGES.get(opts.image, ()))
    wanted = (*backend.packages, *BASE_PACKAGES, *extra)
    missing = [p for p in wanted if not installed(p)]
    yield Step(
        name,
        both(
            f"install {' '.join(backend.packages)} (apt-get)",
            f"{' '.join(backend.packages)} 설치 (apt-get)",
        ),
        bool(missing),
        lambda: apt_install(missing, backend.apt_suite, say),
    )
    yield Step(
        name,
        both(f"start the {backend.title} daemon", f"{backend.title} 데몬 시작"),
        not daemon.answering(backend),
        lambda: daemon.start(backend) and None,
    )
    fresh = not initialised(backend)
    if not fresh:
        check_switch(backend, pool_driver(backend), opts.storage)
    yield Step(
        name,
        both(
            f"initialise: a {opts.storage} pool and a root disk in the default profile",
            f"초기화: {opts.storage} 풀과 기본 프로필의 루트 디스크",
        ),
        fresh,
        lambda: run(
            list(backend.preseed), stdin=preseed(opts.bridge, opts.storage, opts.pool_size)
        ),
    )
    yield Step(
        name,
        both(
            f"create user {backend.user} in group {backend.group}",
            f"{backend.group} 그룹에 사용자 {backend.user} 만들기",
        ),
        not user_ok(backend),
        lambda: make_user(backend),
    )
    # host-wide: the second backend finds them done
    yield Step(
        name,
        both(
            f"put snaplab on every user's PATH ({command.LINK})",
            f"모든 사용자의 PATH에 snaplab 넣기 ({command.LINK})",
        ),
        not command.on_path(),
        command.link,
    )
    yield Step(
        name,
        both(
            f"let the book's users use sudo ({command.SUDOERS})",
            f"책의 사용자가 sudo를 쓰도록 허용 ({command.SUDOERS})",
        ),
        not command.sudo_ok(),
        command.allow_sudo,
    )
    if ":" in opts.image:
        yield Step(
            name,
            both(
                f"copy {opts.image} as {image.ALIAS}",
                f"{opts.image}을(를) {image.ALIAS}(으)로 복사",
            ),
            image_fingerprint(backend) is None,
            lambda: copy_remote_image(backend, opts.image),
        )
    elif opts.image == "debian":
        yield Step(
            name,
            both(
                f"build the Debian 12 lab image in {IMAGE_CACHE} (mmdebstrap)",
                f"{IMAGE_CACHE}에 데비안 12 실습 이미지 만들기 (mmdebstrap)",
            ),
            not debian_image.files(IMAGE_CACHE).exist(),
            lambda: debian_image.build(IMAGE_CACHE, daemon.LOG_DIR / "mmdebstrap.log", say),
        )
        yield Step(
            name,
            both(
                f"import the Debian lab image as {image.ALIAS}",
                f"데비안 실습 이미지를 {image.ALIAS}(으)로 가져오기",
            ),
            image_fingerprint(backend) != debian_fingerprint(),
            lambda: import_debian(backend),
        )
    else:
        current = image_fingerprint(backend)
        stale = current is None or not image.BUSYBOX.exists() or current != built().fingerprint
        yield Step(
            name,
            both(
                f"import the offline lab image as {image.ALIAS}",
                f"오프라인 실습 이미지를 {image.ALIAS}(으)로 가져오기",
            ),
            stale,
            lambda: import_busybox(backend, built()),
        )
    if opts.snapshot_server:
        yield from snapshot_steps(backend, say)


def snapshot_steps(backend: Backend, say: Callable[[str | Text], None]) -> Iterator[Step]:
    """Chapters 9 and 10: the snapshot server beside the primary, and cron.

    See snaplab/host/snapshot_server.py for how a learner works on it.
    """
    name, remote = backend.name, SNAPSHOT_SERVER.remote(backend)
    home, listen = SNAPSHOT_SERVER.home(backend), SNAPSHOT_SERVER.listen(backend)
    server = snapshot_server
    yield Step(
        name,
        both(
            f"let the primary listen on {backend.listen} (core.https_address), "
            f"for copies to {remote}",
            f"{remote}(으)로 복사할 수 있도록 주 서버가 {backend.listen}에서 연결 받기 "
            "(core.https_address)",
        ),
        not server.primary_address(backend),
        lambda: server.primary_listen(backend),
    )
    yield Step(
        name,
        both(
            f"start the {backend.title} snapshot server ({backend.env_dir}={home})",
            f"{backend.title} 스냅샷 서버 시작 ({backend.env_dir}={home})",
        ),
        not server.answering(backend),
        lambda: server.start(backend) and None,
    )
    yield Step(
        name,
        both(
            "initialise the snapshot server: a dir pool and a root disk in the default profile",
            "스냅샷 서버 초기화: dir 풀과 기본 프로필의 루트 디스크",
        ),
        not server.initialised(backend),
        lambda: server.init(backend),
    )
    yield Step(
        name,
        both(
            f"let the snapshot server listen on {listen} (remote {remote}:)",
            f"스냅샷 서버가 {listen}에서 연결 받기 (원격 이름 {remote}:)",
        ),
        server.address(backend) != listen,
        lambda: server.listen(backend),
    )
    # host-wide: the second backend finds them done
    yield Step(
        name,
        both("install cron (apt-get), for chapter 10", "10장을 위해 cron 설치 (apt-get)"),
        not installed(cron.PACKAGE),
        lambda: apt_install([cron.PACKAGE], None, say),
    )
    yield Step(
        name,
        both(f"start cron ({cron.CRON})", f"cron 시작 ({cron.CRON})"),
        not cron.running(),
        lambda: cron.start() and None,
    )


def image_builder(say: Callable[[Text], None]) -> Callable[[], image.Image]:
    """Build the image at most once per run, and only when first asked for."""
    cache: list[image.Image] = []

    def get() -> image.Image:
        if not cache:
            say(
                both(
                    "    building the lab image from busybox-static",
                    "    busybox-static으로 실습 이미지를 만드는 중",
                )
            )
            cache.append(image.build())
        return cache[0]

    return get


def stderr(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)
