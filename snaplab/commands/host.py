"""`snaplab host setup|stop`: make this machine a lab host, and stop what we started."""

from __future__ import annotations

import argparse
import os
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from snaplab import i18n
from snaplab.backends import BACKENDS, NAMES, pick
from snaplab.commands.common import add_backends, add_json
from snaplab.daemons import DAEMONS
from snaplab.daemons.snapshot_server import SNAPSHOT_SERVER
from snaplab.errors import ExitCode, SnaplabError
from snaplab.i18n import Text, both, detect, text


@dataclass
class StepResult:
    backend: str
    title: Text
    changed: bool
    seconds: float

    def to_dict(self) -> dict:
        return {
            "backend": self.backend,
            "title": self.title.en,  # the JSON is English, for scripts
            "changed": self.changed,
            "seconds": self.seconds,
        }


@dataclass
class HostResult:
    action: str
    dry_run: bool = False
    steps: list[StepResult] = field(default_factory=list)
    seconds: float = 0.0
    code: ExitCode = ExitCode.OK

    def to_dict(self) -> dict:
        return {
            "action": self.action,
            "dry_run": self.dry_run,
            "seconds": round(self.seconds, 2),
            "changed": any(s.changed for s in self.steps),
            "steps": [s.to_dict() for s in self.steps],
        }

    def render(self, lang: str) -> str:
        n, s = len([s for s in self.steps if s.changed]), f"{self.seconds:.1f}"
        if self.dry_run:
            said = both(
                f"dry run: {n} step(s) would change this host",
                f"시험 실행(dry run): 단계 {n}개가 이 호스트를 바꾸게 됩니다",
            )
        elif not n and self.action == "stop":
            said = both(
                f"nothing to stop: no daemon snaplab started is running ({s} s)",
                f"멈출 것이 없습니다: snaplab이 시작한 데몬 중 실행 중인 것이 없습니다 ({s}초)",
            )
        elif not n:
            said = both(
                f"nothing to do: the host is already set up ({s} s)",
                f"할 일이 없습니다: 호스트가 이미 준비되어 있습니다 ({s}초)",
            )
        elif self.action == "stop":
            said = both(
                f"host stop: {n} daemon(s) stopped ({s} s)",
                f"host stop: 데몬 {n}개를 멈췄습니다 ({s}초)",
            )
        else:
            said = both(
                f"host {self.action}: {n} step(s) changed ({s} s)",
                f"host {self.action}: 단계 {n}개를 실행했습니다 ({s}초)",
            )
        return said.get(lang)


def speaker(lang: str) -> Callable[[str | Text], None]:
    """Progress lines on stderr, in the reader's language (apt's package names as they are)."""
    from snaplab.host import setup

    def say(message: str | Text) -> None:
        setup.stderr(message.get(lang) if isinstance(message, Text) else message)

    return say


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "host",
        help=i18n.helptext(
            "set up or stop the LXD/Incus daemons on this machine (root)",
            "이 컴퓨터의 LXD/Incus 데몬을 준비하거나 중지(root)",
        ),
        description=i18n.helptext(
            "Make this Debian 12 machine a lab host, from nothing.",
            "아무것도 없는 Debian 12 컴퓨터를 실습 호스트로 만듭니다.",
        ),
    )
    verbs = p.add_subparsers(dest="verb", metavar="VERB", parser_class=type(p))
    s = verbs.add_parser(
        "setup",
        help=i18n.helptext(
            "install, start and initialise LXD and/or Incus, users and the lab image",
            "LXD나 Incus(또는 둘 다)를 설치·시작·초기화하고 사용자와 실습 이미지를 준비",
        ),
        description=i18n.helptext(
            "Install LXD 5.0 (Debian) and/or Incus 6.0 (bookworm-backports), start "
            "the daemons, preseed a dir (or --storage btrfs) pool and a root disk, create the book's users "
            "(lxdadmin, incusadmin) and import the offline lab image. Safe to run again: "
            "steps already done are skipped and reported.",
            "LXD 5.0(Debian)과 Incus 6.0(bookworm-backports) 중 하나나 둘 다를 설치하고, "
            "데몬을 시작하고, dir 풀(또는 --storage btrfs 풀)과 루트 디스크를 preseed로 "
            "설정하고, 책의 사용자(lxdadmin, incusadmin)를 만들고, 오프라인으로 만든 실습 "
            "이미지를 가져옵니다. 다시 실행해도 안전합니다: 이미 된 단계는 건너뛰고 알려 줍니다.",
        ),
    )
    add_backends(s)
    s.add_argument(
        "--dry-run",
        action="store_true",
        help=i18n.helptext(
            "print the plan, change nothing", "계획만 출력하고 아무것도 바꾸지 않음"
        ),
    )
    s.add_argument(
        "--bridge",
        action="store_true",
        help=i18n.helptext(
            "also create a managed bridge (off by default: no free subnet here)",
            "관리형 브리지도 만듦(기본값은 만들지 않음: 이곳에는 빈 서브넷이 없음)",
        ),
    )
    s.add_argument(
        "--image",
        metavar="busybox|debian|REMOTE:ALIAS",
        default="busybox",
        help=i18n.helptext(
            "the lab image: busybox (default, built offline in a second), debian (a Debian 12 "
            "minbase with a real bash, built from Debian's packages with mmdebstrap), or a remote "
            "image such as images:ubuntu/22.04 (needs an image server)",
            "실습 이미지: busybox(기본값, 오프라인으로 1초 만에 만듦), debian(진짜 bash가 있는 "
            "Debian 12 minbase, mmdebstrap으로 Debian 패키지에서 만듦), 또는 "
            "images:ubuntu/22.04 같은 원격 이미지(이미지 서버 필요)",
        ),
    )
    s.add_argument(
        "--storage",
        default="dir",
        choices=("dir", "btrfs", "zfs"),
        help=i18n.helptext(
            "the lab pool's driver: dir (default) copies the whole root filesystem on "
            "every snapshot, btrfs (loop-backed) snapshots in place; zfs is refused here",
            "실습 풀의 드라이버: dir(기본값)은 스냅샷마다 루트 파일 시스템 전체를 복사하고, "
            "btrfs(루프 파일 기반)는 그 자리에서 스냅샷을 만듦. zfs는 이곳에서 거부됨",
        ),
    )
    s.add_argument(
        "--pool-size",
        default="4GiB",
        metavar="SIZE",
        help=i18n.helptext(
            "size of the btrfs pool's loop file (default 4GiB)",
            "btrfs 풀의 루프 파일 크기 (기본값 4GiB)",
        ),
    )
    servers = "; ".join(
        f"{b.env_dir}={SNAPSHOT_SERVER.home(b)}, {SNAPSHOT_SERVER.listen(b)}"
        for b in BACKENDS.values()
    )
    s.add_argument(
        "--snapshot-server",
        action="store_true",
        help=i18n.helptext(
            "chapters 9 and 10: also start a second daemon per backend as the book's snapshot "
            f"server ({servers}), let the primary listen on 127.0.0.1, and install and start cron",
            "9장과 10장용: 백엔드마다 두 번째 데몬을 책의 스냅샷 서버로 함께 시작하고"
            f"({servers}), 기본 데몬이 127.0.0.1에서 듣게 하며, cron을 설치해 시작함",
        ),
    )
    add_json(s)
    s.set_defaults(run=run_setup)
    t = verbs.add_parser(
        "stop",
        help=i18n.helptext(
            "stop the daemons (and snapshot servers, and cron) that snaplab started (never others)",
            "snaplab이 시작한 데몬(과 스냅샷 서버, cron)을 중지(다른 것은 건드리지 않음)",
        ),
    )
    add_backends(t)
    add_json(t)
    t.set_defaults(run=run_stop)


def run_setup(args: argparse.Namespace) -> HostResult:
    from snaplab.host import lab_image, pool, setup

    pool.check_storage(args.storage)  # before root: a refusal needs no privileges
    lab_image.check_image(args.image)
    if os.geteuid() != 0:
        raise SnaplabError(text("not_root"), ExitCode.PERMISSION)
    lang = detect(getattr(args, "lang", None))
    say = speaker(lang)
    opts = setup.Options(
        bridge=args.bridge,
        image=args.image,
        storage=args.storage,
        pool_size=args.pool_size,
        snapshot_server=getattr(args, "snapshot_server", False),
    )
    built = lab_image.image_builder(say)
    result = HostResult("setup", dry_run=args.dry_run)
    began = time.monotonic()
    for backend in pick(args.backend):
        for step in setup.plan(backend, opts, say, built):
            t0 = time.monotonic()
            where, en, ko = f"[{step.backend}]", step.title.en, step.title.ko
            if not step.needed:
                say(both(f"{where} {en}: already done", f"{where} {ko}: 이미 되어 있습니다"))
            elif args.dry_run:
                say(both(f"{where} would {en}", f"{where} 할 일: {ko}"))
            else:
                say(f"{where} {step.title.get(lang)} ...")
                try:
                    step.do()
                except (subprocess.CalledProcessError, OSError) as e:
                    detail = getattr(e, "stderr", None) or getattr(e, "output", None) or e
                    last = str(detail).strip().splitlines()[-1:] or [""]
                    raise SnaplabError(
                        both(
                            f"host setup failed at {where} {en}: {last[0]} (see /var/log/snaplab/)",
                            f"host setup이 {where} {ko} 단계에서 실패했습니다: {last[0]} "
                            "(/var/log/snaplab/ 참고)",
                        ),
                        ExitCode.SETUP_FAILED,
                    ) from None
                took = f"{time.monotonic() - t0:.1f}"
                say(both(f"{where} {en}: done ({took} s)", f"{where} {ko}: 완료 ({took}초)"))
            result.steps.append(
                StepResult(step.backend, step.title, step.needed, round(time.monotonic() - t0, 2))
            )
    result.seconds = time.monotonic() - began
    return result


def run_stop(args: argparse.Namespace) -> HostResult:
    """The other daemons (the snapshot servers) first, then the primaries, then cron once no
    daemon is left. Each only if snaplab started it (a pid file under /run/snaplab says so).
    """
    from snaplab.host import cron, daemon

    if os.geteuid() != 0:
        raise SnaplabError(text("not_root"), ExitCode.PERMISSION)
    result = HostResult("stop")

    def step(backend: str, title: Text, stop: Callable[[], bool]) -> None:
        t0 = time.monotonic()
        stopped = stop()
        result.steps.append(StepResult(backend, title, stopped, round(time.monotonic() - t0, 2)))

    chosen = pick(args.backend)
    for b in chosen:
        for d in DAEMONS.values():
            step(
                b.name,
                both(f"stop the {b.title} {d.title.en}", f"{b.title} {d.title.ko} 멈추기"),
                partial(d.ops.stop, b),
            )
        step(b.name, both(f"stop {b.title}", f"{b.title} 멈추기"), partial(daemon.stop, b))
    if {b.name for b in chosen} == set(NAMES):  # another backend's jobs may still need cron
        step("host", both("stop cron", "cron 멈추기"), cron.stop)
    return result
