"""The doctor's checks, in the order an operator would ask them.

Each check returns (status, detail, fix), the words as `Text` (Korean and English;
`same` for a command, which reads alike in both). They read the host and ask its daemon
through `Context` (context.py): a check whose question cannot be asked is SKIPped with
the reason, so a broken host still gets a full, useful report.

The probe (and --size's measurement) is doctor's own work on a pylxd connection: it
launches containers (probes.py, size.py), which a host check run against many hosts
should not do.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pylxd.exceptions import LXDAPIException

from snaplab import instance
from snaplab.doctor import hostview, size
from snaplab.doctor.context import NONE, Context, Outcome, Skip
from snaplab.doctor.probes import PROBE_PREFIX, cycle, leave_probe, remove_probe
from snaplab.doctor.results import Finding, Status
from snaplab.host.image import ALIAS
from snaplab.i18n import Text, as_text, both, same

# Where the kernel check looks; tests point these at a fake tree.
PROC = Path("/proc")
SYS = Path("/sys")


def kernel(ctx: Context) -> Outcome:
    missing = [
        ns
        for ns in ("user", "mnt", "pid", "net", "uts", "ipc", "cgroup")
        if not ctx.host.file(str(PROC / "self" / "ns" / ns)).exists
    ]
    if missing:
        return (
            Status.FAIL,
            both(
                f"namespaces missing: {', '.join(missing)}",
                f"없는 네임스페이스: {', '.join(missing)}",
            ),
            both(
                "use a kernel built with CONFIG_NAMESPACES and all namespace types",
                "CONFIG_NAMESPACES와 모든 네임스페이스 종류를 켜고 빌드한 커널을 사용하세요",
            ),
        )
    max_userns = ctx.host.file(str(PROC / "sys" / "user" / "max_user_namespaces"))
    if max_userns.exists and max_userns.content_string.strip() == "0":
        return (
            Status.FAIL,
            both("user namespaces are disabled", "사용자 네임스페이스가 꺼져 있습니다"),
            same("sysctl -w user.max_user_namespaces=15000"),
        )
    controllers = ctx.host.file(str(SYS / "fs" / "cgroup" / "cgroup.controllers"))
    if controllers.exists:
        cg = "cgroup v2 (" + controllers.content_string.strip() + ")"
    elif ctx.host.file(str(SYS / "fs" / "cgroup" / "memory")).exists:
        cg = "cgroup v1"
    else:
        return (
            Status.FAIL,
            both("no cgroup hierarchy is mounted", "마운트된 cgroup 계층이 없습니다"),
            same("mount -t cgroup2 none /sys/fs/cgroup"),
        )
    return Status.PASS, both(f"namespaces present, {cg}", f"네임스페이스 있음, {cg}"), NONE


def installed(ctx: Context) -> Outcome:
    b = ctx.backend
    # the client as a learner types it (on PATH), the daemon where its package puts it
    if not ctx.host.exists(b.cli) or not ctx.host.file(b.daemon[0]).exists:
        return (
            Status.FAIL,
            both(
                f"{b.cli} or {b.daemon[0]} is missing", f"{b.cli} 또는 {b.daemon[0]}이(가) 없습니다"
            ),
            same(f"sudo snaplab host setup --backend {b.name}"),
        )
    return Status.PASS, both(f"{b.cli} and {b.daemon[0]}", f"{b.cli}, {b.daemon[0]} 있음"), NONE


def socket_access(ctx: Context) -> Outcome:
    b = ctx.backend
    if ctx.target.url:
        return (
            Status.PASS,
            both(
                f"HTTPS remote {ctx.target.url}: no socket to check",
                f"HTTPS 원격 {ctx.target.url}: 확인할 소켓이 없습니다",
            ),
            NONE,
        )
    path, state = ctx.socket, ctx.socket_state()
    if state == hostview.MISSING:
        return (
            Status.FAIL,
            both(
                f"no socket at {path}: the daemon is not running",
                f"{path}에 소켓이 없습니다: 데몬이 실행 중이 아닙니다",
            ),
            same(f"sudo snaplab host setup --backend {b.name}"),
        )
    user = ctx.host.user().name
    if state == hostview.DENIED:
        return (
            Status.FAIL,
            both(
                f"user {user} may not use {path}",
                f"사용자 {user}에게 {path} 사용 권한이 없습니다",
            ),
            both(
                f"sudo usermod -aG {b.group} {user}  (then log in again)",
                f"sudo usermod -aG {b.group} {user}  (그런 다음 다시 로그인하세요)",
            ),
        )
    if state == hostview.REFUSED:  # a daemon that died (kill -9, OOM) leaves its socket behind
        return (
            Status.FAIL,
            both(
                f"{path} refuses connections: the daemon is not running",
                f"{path}이(가) 연결을 거부합니다: 데몬이 실행 중이 아닙니다",
            ),
            same(f"sudo snaplab host setup --backend {b.name}"),
        )
    return (
        Status.PASS,
        both(f"{user} may use {path}", f"{user}은(는) {path}을(를) 쓸 수 있습니다"),
        NONE,
    )


def api(ctx: Context) -> Outcome:
    try:
        info = ctx.info()
    except Skip:
        assert ctx.unreachable is not None
        return Status.FAIL, as_text(ctx.unreachable.message), NONE
    trusted = info.get("auth") == "trusted"
    if not trusted:
        return (
            Status.FAIL,
            both(
                "the API answers but does not trust this client",
                "API는 응답하지만 이 클라이언트를 신뢰하지 않습니다",
            ),
            both(
                f"{ctx.backend.cli} config trust add  (on the server)",
                f"{ctx.backend.cli} config trust add  (서버에서 실행)",
            ),
        )
    url = ctx.target.url
    env = info.get("environment", {})
    server, version = env.get("server", "lxd"), env.get("server_version", "?")
    version = f"{server} {version}, API {info['api_version']}"
    return (
        Status.PASS,
        both(f"{version}, {url}, auth trusted", f"{version}, {url}, 신뢰됨(auth trusted)")
        if url
        else same(version),
        NONE,
    )


def storage(ctx: Context) -> Outcome:
    pools = ctx.get("/1.0/storage-pools")
    if not pools:
        return (
            Status.FAIL,
            both("no storage pool", "스토리지 풀이 없습니다"),
            both(
                f"sudo snaplab host setup --backend {ctx.backend.name}  (preseeds a dir pool)",
                f"sudo snaplab host setup --backend {ctx.backend.name}  (dir 풀을 만듭니다)",
            ),
        )
    if ctx.pool and ctx.pool not in {p["name"] for p in pools}:
        known = ", ".join(p["name"] for p in pools)
        return (
            Status.FAIL,
            both(
                f"no storage pool named {ctx.pool} (there is {known})",
                f"{ctx.pool}(이)라는 스토리지 풀이 없습니다(있는 풀: {known})",
            ),
            NONE,
        )
    drivers = same(", ".join(f"{p['name']} ({p['driver']})" for p in pools))
    measured = sized(ctx) if ctx.size_mib else NONE
    if "sized" in ctx.timings:  # a dir pool warns with its own figure, beside btrfs's
        on = ctx.pool or _default_pool(ctx)
        copies = any(p["driver"] == "dir" and p["name"] == on for p in pools)
    else:
        copies = all(p["driver"] == "dir" for p in pools)
    if not copies:
        return Status.PASS, drivers + ("; " + measured if measured else ""), NONE
    on_btrfs = (
        size.reference("btrfs", ctx.backend.name, ctx.size_mib) if "sized" in ctx.timings else None
    )
    cli = ctx.backend.cli
    return (
        Status.WARN,
        drivers
        + both(
            ": on dir a snapshot copies the whole root filesystem",
            ": dir에서는 스냅샷이 루트 파일시스템 전체를 복사합니다",
        )
        + ("; " + measured if measured else "")
        + (
            both(
                f"; on btrfs it would be about {on_btrfs:.2f} s",
                f"; btrfs라면 약 {on_btrfs:.2f}초입니다",
            )
            if on_btrfs
            else ""
        ),
        both(
            f"{cli} storage create fast btrfs size=4GiB  (copy-on-write: snapshots in "
            "milliseconds, any snapshot restorable; zfs restores only the latest unless "
            "zfs.remove_snapshots=true)",
            f"{cli} storage create fast btrfs size=4GiB  (copy-on-write: 스냅샷이 밀리초 "
            "단위로 끝나고 어느 스냅샷으로든 복원할 수 있습니다. zfs는 "
            "zfs.remove_snapshots=true가 아니면 가장 최근 스냅샷으로만 복원합니다)",
        ),
    )


def _default_pool(ctx: Context) -> str | None:
    disks = _root_disks(ctx)
    return disks[0].get("pool") if disks else None


def _root_disks(ctx: Context) -> list[dict[str, Any]]:
    devices = ctx.get("/1.0/profiles/default").get("devices", {}).values()
    return [d for d in devices if d.get("type") == "disk" and d.get("path") == "/"]


def sized(ctx: Context) -> Text:
    """--size's figure (size.py), where a probe can launch: a root disk and the lab image."""
    if root_disk(ctx)[0] is not Status.PASS or lab_image(ctx)[0] is not Status.PASS:
        return both(
            "not measured (no root disk or no lab image, see below)",
            "측정하지 않음(루트 디스크나 실습 이미지가 없습니다. 아래 참고)",
        )
    return size.measure(ctx)


def root_disk(ctx: Context) -> Outcome:
    disks = _root_disks(ctx)
    if not disks:
        return (
            Status.FAIL,
            both("the default profile has no root disk", "기본 프로필에 루트 디스크가 없습니다"),
            same(f"{ctx.backend.cli} profile device add default root disk path=/ pool=default"),
        )
    pool = disks[0].get("pool")
    return (
        Status.PASS,
        both(f"root disk on pool {pool}", f"루트 디스크가 {pool} 풀에 있습니다"),
        NONE,
    )


def lab_image(ctx: Context) -> Outcome:
    aliases = {a["name"] for a in ctx.get("/1.0/images/aliases")}
    if ALIAS not in aliases:
        return (
            Status.FAIL,
            both(f"no image with alias {ALIAS}", f"별칭이 {ALIAS}인 이미지가 없습니다"),
            both(
                f"sudo snaplab host setup --backend {ctx.backend.name}  (builds it offline)",
                f"sudo snaplab host setup --backend {ctx.backend.name}  (오프라인으로 만듭니다)",
            ),
        )
    return Status.PASS, both(f"{ALIAS} is present", f"{ALIAS} 있음"), NONE


def probe(ctx: Context) -> Outcome:
    """The chapter in miniature, on a throwaway container that is always removed."""
    if root_disk(ctx)[0] is not Status.PASS:
        raise Skip(
            both(
                "skipped: no root disk in the default profile to launch on",
                "건너뜀: 기본 프로필에 컨테이너를 띄울 루트 디스크가 없습니다",
            )
        )
    if lab_image(ctx)[0] is not Status.PASS:
        raise Skip(
            both(
                f"skipped: no image {ALIAS} to launch",
                f"건너뜀: 띄울 이미지 {ALIAS}이(가) 없습니다",
            )
        )
    client = ctx.conn.client
    name = PROBE_PREFIX + uuid.uuid4().hex[:8]
    try:
        found = _probe(ctx, client, name)
    except (LXDAPIException, instance.OperationFailed) as e:
        remove_probe(client, name)
        # a daemon that cannot launch, snapshot or restore is the finding, not a crash
        log = f"/var/log/snaplab/{ctx.backend.name}.log"
        return (
            Status.FAIL,
            both(f"the daemon refused: {e}", f"데몬이 거부했습니다: {e}"),
            both(
                f"see the {ctx.backend.title} daemon's log ({log})",
                f"{ctx.backend.title} 데몬의 로그를 확인하세요({log})",
            ),
        )
    except BaseException:
        leave_probe(client, name)
        raise
    remove_probe(client, name)
    return found


def _probe(ctx: Context, client: Any, name: str) -> Outcome:
    cost = cycle(client, name, pool=ctx.pool)
    ctx.timings["lab"] = cost.to_dict()
    if cost.survived:
        return (
            Status.FAIL,
            both(
                "the file written after the snapshot survived the restore",
                "스냅샷 뒤에 쓴 파일이 복원한 뒤에도 남아 있습니다",
            ),
            both("check the storage driver's logs", "스토리지 드라이버의 로그를 확인하세요"),
        )
    return Status.PASS, cost.describe(), NONE


def snapshot_server(ctx: Context) -> Outcome:
    """Chapters 9 and 10's second daemon on this machine (snaplab/host/snapshot_server.py)."""
    from snaplab.host import snapshot_server as server

    found = server.status(ctx.backend)
    return (Status.PASS if found.answering and found.exists else Status.FAIL), found.detail, NONE


def has_snapshot_server(ctx: Context) -> bool:
    """Asked only where there is one: a host for chapter 8 alone needs none. And only of the
    main daemon: with LXD_DIR / INCUS_DIR doctor is asked about another daemon, not its host."""
    from snaplab.host import snapshot_server as server

    if ctx.target.url is not None or os.environ.get(ctx.backend.env_dir):
        return False
    return server.status(ctx.backend).exists


@dataclass(frozen=True)
class Check:
    id: str
    title: Text
    run: Callable[[Context], Outcome]
    applies: Callable[[Context], bool] | None = None  # None: on every host


CHECKS = [
    Check("kernel", both("kernel: namespaces and cgroups", "커널: 네임스페이스와 cgroup"), kernel),
    Check("installed", both("daemon installed", "데몬 설치"), installed),
    Check(
        "socket",
        both("current user may use the socket", "현재 사용자의 소켓 사용 권한"),
        socket_access,
    ),
    Check(
        "api",
        both(
            "daemon running, API reachable, version and kind",
            "데몬 실행, API 연결, 버전과 종류",
        ),
        api,
    ),
    Check("storage", both("storage pool and driver", "스토리지 풀과 드라이버"), storage),
    Check(
        "root-disk",
        both("default profile has a root disk", "기본 프로필의 루트 디스크"),
        root_disk,
    ),
    Check("image", both("lab image present", "실습 이미지"), lab_image),
    Check(
        "probe",
        both("end-to-end snapshot and restore", "스냅샷과 복원 전체 과정"),
        probe,
    ),
    Check(
        "snapshot-server",
        both("snapshot server (chapters 9 and 10)", "스냅샷 서버(9장과 10장)"),
        snapshot_server,
        has_snapshot_server,
    ),
]


def run_all(ctx: Context, checks: list[Check] = CHECKS) -> list[Finding]:
    findings = []
    for check in checks:
        if check.applies is not None and not check.applies(ctx):
            continue
        try:
            status, detail, fix = check.run(ctx)
        except Skip as e:
            status, detail, fix = Status.SKIP, e.why, NONE
        findings.append(Finding(check.id, check.title, status, detail, fix))
    return findings
