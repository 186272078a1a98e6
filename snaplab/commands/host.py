"""`snaplab host setup|stop`: make this machine a lab host, and stop what we started."""

from __future__ import annotations

import argparse
import os
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from snaplab.backends import BACKENDS, NAMES, PICKS, pick
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
        help="set up or stop the LXD/Incus daemons on this machine (root)",
        description="Make this Debian 12 machine a lab host, from nothing.",
    )
    verbs = p.add_subparsers(dest="verb", metavar="VERB", parser_class=type(p))
    s = verbs.add_parser(
        "setup",
        help="install, start and initialise LXD and/or Incus, users and the lab image",
        description="Install LXD 5.0 (Debian) and/or Incus 6.0 (bookworm-backports), start "
        "the daemons, preseed a dir (or --storage btrfs) pool and a root disk, create the book's users "
        "(lxdadmin, incusadmin) and import the offline lab image. Safe to run again: "
        "steps already done are skipped and reported.",
    )
    s.add_argument("--backend", default="all", choices=PICKS)
    s.add_argument("--dry-run", action="store_true", help="print the plan, change nothing")
    s.add_argument(
        "--bridge",
        action="store_true",
        help="also create a managed bridge (off by default: no free subnet here)",
    )
    s.add_argument(
        "--image",
        metavar="busybox|debian|REMOTE:ALIAS",
        default="busybox",
        help="the lab image: busybox (default, built offline in a second), debian (a Debian 12 "
        "minbase with a real bash, built from Debian's packages with mmdebstrap), or a remote "
        "image such as images:ubuntu/22.04 (needs an image server)",
    )
    s.add_argument(
        "--storage",
        default="dir",
        choices=("dir", "btrfs", "zfs"),
        help="the lab pool's driver: dir (default) copies the whole root filesystem on "
        "every snapshot, btrfs (loop-backed) snapshots in place; zfs is refused here",
    )
    s.add_argument(
        "--pool-size",
        default="4GiB",
        metavar="SIZE",
        help="size of the btrfs pool's loop file (default 4GiB)",
    )
    s.add_argument(
        "--snapshot-server",
        action="store_true",
        help="chapters 9 and 10: also start a second daemon per backend as the book's snapshot "
        "server ("
        + "; ".join(
            f"{b.env_dir}={SNAPSHOT_SERVER.home(b)}, {SNAPSHOT_SERVER.listen(b)}"
            for b in BACKENDS.values()
        )
        + "), let the primary listen on 127.0.0.1, and install and start cron",
    )
    s.add_argument("--json", action="store_true")
    s.set_defaults(run=run_setup)
    t = verbs.add_parser(
        "stop",
        help="stop the daemons (and snapshot servers, and cron) that snaplab started (never others)",
    )
    t.add_argument("--backend", default="all", choices=PICKS)
    t.add_argument("--json", action="store_true")
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
