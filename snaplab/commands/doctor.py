"""`snaplab doctor`: PASS/WARN/FAIL for each thing a class needs from a host."""

from __future__ import annotations

import argparse
import re
import time
from dataclasses import dataclass

from snaplab import i18n
from snaplab.backends import pick
from snaplab.commands.common import add_backends, add_remote, stored_remote, target
from snaplab.doctor.results import Report, Status
from snaplab.errors import ExitCode
from snaplab.i18n import both


@dataclass
class DoctorResult:
    reports: list[Report]

    @property
    def code(self) -> ExitCode:
        return ExitCode.OK if all(r.fit for r in self.reports) else ExitCode.NOT_PASSING

    def to_dict(self) -> dict:
        return {"fit": self.code == ExitCode.OK, "reports": [r.to_dict() for r in self.reports]}

    def render(self, lang: str) -> str:
        lines = []
        fix = "해결" if lang == "ko" else "fix"
        for r in self.reports:
            lines.append(f"{r.backend}:")
            for f in r.findings:
                lines.append(f"  {f.status.value:4}  {f.title.get(lang)}: {f.detail.get(lang)}")
                if f.fix and f.status is not Status.PASS:
                    lines.append(f"        {fix}: {f.fix.get(lang)}")
            verdict = both(
                f"{r.backend} is fit for the labs ({r.seconds:.1f} s)"
                if r.fit
                else f"{r.backend} is NOT fit for the labs ({r.seconds:.1f} s)",
                f"{r.backend}은(는) 실습에 적합합니다 ({r.seconds:.1f}초)"
                if r.fit
                else f"{r.backend}은(는) 실습에 적합하지 않습니다 ({r.seconds:.1f}초)",
            )
            lines.append(f"  => {verdict.get(lang)}")
        return "\n".join(lines)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "doctor",
        help=i18n.helptext(
            "check that this LXD/Incus host is fit for the labs",
            "이 LXD/Incus 호스트가 실습에 알맞은지 점검",
        ),
        description=i18n.helptext(
            "Check the kernel, the daemon, socket permissions, storage, the default "
            "profile and the lab image, then run the chapter in miniature on a throwaway "
            "container and time its snapshot, its restore and the downtime a restore costs "
            "(stop, restore, start). Exit 0 when the host is fit.",
            "커널, 데몬, 소켓 권한, 스토리지, 기본 프로필, 실습 이미지를 점검한 뒤,\n"
            "임시 컨테이너로 이 장을 축소해 실행하면서 스냅샷과 복원, 그리고 복원에\n"
            "드는 중단 시간(중지, 복원, 시작)을 잽니다. 호스트가 실습에 알맞으면 종료\n"
            "코드는 0입니다.",
        ),
        epilog=i18n.helptext(
            "Example: snaplab doctor --backend lxd --size 500M   (what a 500 MiB container "
            "pays here)",
            "예: snaplab doctor --backend lxd --size 500M\n"
            "    (500 MiB 컨테이너가 이 호스트에서 치르는 비용)",
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_backends(p)
    p.add_argument(
        "--project",
        default=None,
        help=i18n.helptext(
            "daemon project (default: default)", "데몬의 프로젝트 (기본값: default)"
        ),
    )
    add_remote(p)
    p.add_argument(
        "--size",
        type=size_mib,
        default=0,
        metavar="SIZE",
        help=i18n.helptext(
            "also time snapshot, restore and downtime of a throwaway container filled "
            "to SIZE (e.g. 500M, 2G): what a container of yours would pay on this pool",
            "SIZE만큼(예: 500M, 2G) 채운 임시 컨테이너로 스냅샷, 복원, 중단 시간도 측정: "
            "여러분의 컨테이너가 이 풀에서 치를 비용",
        ),
    )
    p.add_argument(
        "--pool",
        default=None,
        metavar="NAME",
        help=i18n.helptext(
            "launch the probes on this storage pool (default: the default profile's)",
            "측정용 컨테이너를 띄울 스토리지 풀 (기본값: 기본 프로필의 풀)",
        ),
    )
    p.add_argument(
        "--json",
        action="store_true",
        help=i18n.helptext("machine-readable report", "기계가 읽을 수 있는 보고서(JSON)"),
    )
    p.set_defaults(run=run)


SIZE = re.compile(r"^(\d+)\s*([kmgt]?)(i?b)?$", re.IGNORECASE)


def size_mib(value: str) -> int:
    """`500M`, `2G`, `512MiB` -> MiB; checked by argparse, before any daemon is asked."""
    m = SIZE.match(value.strip())
    scale = {"k": 1 / 1024, "m": 1, "g": 1024, "t": 1024 * 1024}
    if not m:
        raise argparse.ArgumentTypeError(f"{value!r} is not a size such as 500M or 2G")
    mib = int(int(m.group(1)) * scale[(m.group(2) or "m").lower()])
    if mib < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is under 1 MiB")
    return mib


def run(args: argparse.Namespace) -> DoctorResult:
    """The host checks run as checks/test_host.py (in-process, against this machine), then
    doctor's own probe; see snaplab/doctor/hostchecks.py."""
    from snaplab.doctor import hostchecks  # pylxd, pytest: only when run
    from snaplab.doctor.context import Context, Skip
    from snaplab.doctor.sweep import sweep

    reports = []
    remote = stored_remote(args)
    # with a remote, "all" means the one daemon it is
    choice = remote.backend if remote and args.backend == "all" else args.backend
    for backend in pick(choice):
        t0 = time.monotonic()
        args.backend = backend.name
        ctx = Context(backend, target(args), size_mib=args.size, pool=args.pool)
        try:
            sweep(ctx)
        except Skip:
            pass
        findings = hostchecks.run(ctx)
        reports.append(Report(backend.name, findings, time.monotonic() - t0, ctx.timings))
    return DoctorResult(reports)
