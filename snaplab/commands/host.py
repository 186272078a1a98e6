"""`snaplab host setup|stop`: make this machine a lab host, and stop what we started."""

from __future__ import annotations

import argparse
import os
import subprocess
import time
from dataclasses import asdict, dataclass, field

from snaplab.backends import pick
from snaplab.errors import ExitCode, SnaplabError
from snaplab.i18n import text


@dataclass
class StepResult:
    backend: str
    title: str
    changed: bool
    seconds: float


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
            "steps": [asdict(s) for s in self.steps],
        }

    def render(self, lang: str) -> str:
        changed = [s for s in self.steps if s.changed]
        if self.dry_run:
            return f"dry run: {len(changed)} step(s) would change this host"
        if not changed:
            return f"nothing to do: the host is already set up ({self.seconds:.1f} s)"
        return f"host {self.action}: {len(changed)} step(s) changed ({self.seconds:.1f} s)"


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
    s.add_argument("--backend", default="all", choices=("lxd", "incus", "all"))
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
    s.add_argument("--json", action="store_true")
    s.set_defaults(run=run_setup)
    t = verbs.add_parser("stop", help="stop the daemons that snaplab started (never others)")
    t.add_argument("--backend", default="all", choices=("lxd", "incus", "all"))
    t.add_argument("--json", action="store_true")
    t.set_defaults(run=run_stop)


def run_setup(args: argparse.Namespace) -> HostResult:
    from snaplab.host import setup

    setup.check_storage(args.storage)  # before root: a refusal needs no privileges
    setup.check_image(args.image)
    if os.geteuid() != 0:
        raise SnaplabError(text("not_root"), ExitCode.PERMISSION)
    say = setup.stderr
    opts = setup.Options(
        bridge=args.bridge,
        image=args.image,
        storage=args.storage,
        pool_size=args.pool_size,
    )
    built = setup.image_builder(say)
    result = HostResult("setup", dry_run=args.dry_run)
    began = time.monotonic()
    for backend in pick(args.backend):
        for step in setup.plan(backend, opts, say, built):
            t0 = time.monotonic()
            if not step.needed:
                say(f"[{step.backend}] {step.title}: already done")
            elif args.dry_run:
                say(f"[{step.backend}] would {step.title}")
            else:
                say(f"[{step.backend}] {step.title} ...")
                try:
                    step.do()
                except (subprocess.CalledProcessError, OSError) as e:
                    detail = getattr(e, "stderr", None) or getattr(e, "output", None) or e
                    last = str(detail).strip().splitlines()[-1:] or [""]
                    raise SnaplabError(
                        f"host setup failed at [{step.backend}] {step.title}: "
                        f"{last[0]} (see /var/log/snaplab/)",
                        ExitCode.SETUP_FAILED,
                    ) from None
                say(f"[{step.backend}] {step.title}: done ({time.monotonic() - t0:.1f} s)")
            result.steps.append(
                StepResult(step.backend, step.title, step.needed, round(time.monotonic() - t0, 2))
            )
    result.seconds = time.monotonic() - began
    return result


def run_stop(args: argparse.Namespace) -> HostResult:
    if os.geteuid() != 0:
        raise SnaplabError(text("not_root"), ExitCode.PERMISSION)
    result = HostResult("stop")
    for backend in pick(args.backend):
        t0 = time.monotonic()
        from snaplab.host import daemon

        stopped = daemon.stop(backend)
        result.steps.append(
            StepResult(
                backend.name, f"stop {backend.title}", stopped, round(time.monotonic() - t0, 2)
            )
        )
    return result
