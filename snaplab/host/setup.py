"""`host setup`: from a bare Debian 12 to a daemon that can run the labs.

Each step first asks whether it is needed, so a second run changes nothing and
says so, and `--dry-run` is the same plan without the doing. This module is the plan;
what each step asks and does lives by its job: apt.py (packages), pool.py (the lab
pool), users.py, lab_image.py, command.py (PATH, sudo), and the snapshot server's
own modules.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from snaplab.backends import Backend
from snaplab.daemons.snapshot_server import SNAPSHOT_SERVER
from snaplab.host import (
    apt,
    command,
    cron,
    daemon,
    debian_image,
    image,
    lab_image,
    pool,
    shell,
    snapshot_server,
    users,
)
from snaplab.host.preseed import preseed
from snaplab.i18n import Text, both


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
    if backend.apt_suite and not apt.backports_enabled():
        yield Step(
            name,
            both(f"enable Debian {backend.apt_suite}", f"데비안 {backend.apt_suite} 저장소 켜기"),
            True,
            lambda: apt.BACKPORTS_FILE.write_text(apt.BACKPORTS),
        )
    extra = (
        *pool.STORAGE_PACKAGES.get(opts.storage, ()),
        *lab_image.IMAGE_PACKAGES.get(opts.image, ()),
    )
    wanted = (*backend.packages, *apt.BASE_PACKAGES, *extra)
    missing = [p for p in wanted if not apt.installed(p)]
    yield Step(
        name,
        both(
            f"install {' '.join(backend.packages)} (apt-get)",
            f"{' '.join(backend.packages)} 설치 (apt-get)",
        ),
        bool(missing),
        lambda: apt.apt_install(missing, backend.apt_suite, say),
    )
    yield Step(
        name,
        both(f"start the {backend.title} daemon", f"{backend.title} 데몬 시작"),
        not daemon.answering(backend),
        lambda: daemon.start(backend) and None,
    )
    fresh = not pool.initialised(backend)
    if not fresh:
        pool.check_switch(backend, pool.pool_driver(backend), opts.storage)
    yield Step(
        name,
        both(
            f"initialise: a {opts.storage} pool and a root disk in the default profile",
            f"초기화: {opts.storage} 풀과 기본 프로필의 루트 디스크",
        ),
        fresh,
        lambda: shell.run(
            list(backend.preseed), stdin=preseed(opts.bridge, opts.storage, opts.pool_size)
        ),
    )
    yield Step(
        name,
        both(
            f"create user {backend.user} in group {backend.group}",
            f"{backend.group} 그룹에 사용자 {backend.user} 만들기",
        ),
        not users.user_ok(backend),
        lambda: users.make_user(backend),
    )
    # host-wide: the second backend finds them done
    yield Step(
        name,
        both(
            f"put snaplab and pytest on every user's PATH ({command.LINK.parent})",
            f"모든 사용자의 PATH에 snaplab과 pytest 넣기 ({command.LINK.parent})",
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
            lab_image.image_fingerprint(backend) is None,
            lambda: lab_image.copy_remote_image(backend, opts.image),
        )
    elif opts.image == "debian":
        yield Step(
            name,
            both(
                f"build the Debian 12 lab image in {lab_image.IMAGE_CACHE} (mmdebstrap)",
                f"{lab_image.IMAGE_CACHE}에 데비안 12 실습 이미지 만들기 (mmdebstrap)",
            ),
            not debian_image.files(lab_image.IMAGE_CACHE).exist(),
            lambda: debian_image.build(
                lab_image.IMAGE_CACHE, daemon.LOG_DIR / "mmdebstrap.log", say
            ),
        )
        yield Step(
            name,
            both(
                f"import the Debian lab image as {image.ALIAS}",
                f"데비안 실습 이미지를 {image.ALIAS}(으)로 가져오기",
            ),
            lab_image.image_fingerprint(backend) != lab_image.debian_fingerprint(),
            lambda: lab_image.import_debian(backend),
        )
    else:
        current = lab_image.image_fingerprint(backend)
        stale = current is None or not image.BUSYBOX.exists() or current != built().fingerprint
        yield Step(
            name,
            both(
                f"import the offline lab image as {image.ALIAS}",
                f"오프라인 실습 이미지를 {image.ALIAS}(으)로 가져오기",
            ),
            stale,
            lambda: lab_image.import_busybox(backend, built()),
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
        not apt.installed(cron.PACKAGE),
        lambda: apt.apt_install([cron.PACKAGE], None, say),
    )
    yield Step(
        name,
        both(f"start cron ({cron.CRON})", f"cron 시작 ({cron.CRON})"),
        not cron.running(),
        lambda: cron.start() and None,
    )


def stderr(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)
