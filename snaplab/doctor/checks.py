"""The doctor's checks, in the order an operator would ask them.

Each check returns (status, detail, fix), the words as `Text` (Korean and English;
`same` for a command, which reads alike in both). The host is read through `Context.host`,
a testinfra host, so the same checks run on this machine for `snaplab doctor` and over ssh
for `pytest checks/test_host.py --hosts=ssh://...`. A check that needs the API asks
`Context`, which asks the daemon once; if that failed, the check is SKIPped with the
reason, so a broken host still gets a full, useful report.

The probe (and --size's measurement) is doctor's own work on a pylxd connection: it
launches containers, which a host check run against many hosts should not do.
"""

from __future__ import annotations

import os
import socket as pysocket
import sys
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from pylxd.exceptions import LXDAPIException, NotFound

from snaplab import instance
from snaplab.backends import Backend
from snaplab.doctor import hostview
from snaplab.doctor.results import Finding, Status
from snaplab.errors import SnaplabError
from snaplab.host.image import ALIAS
from snaplab.i18n import Text, as_text, both, same
from snaplab.remotes import CertificateMismatch
from snaplab.transports import Connection, Target, connect

Outcome = tuple[Status, Text, Text]
NONE = same("")  # no fix to offer
PROBE_PREFIX = "snaplab-doctor-"
PROBE_FILE = "/root/snaplab-probe.txt"
FILL_FILE = "/root/snaplab-fill"  # --size: random bytes, so no driver can compress them away
PROBE_RUNNER = "user.snaplab.doctor"  # host:pid of the doctor that launched a probe
# Where the kernel check looks; tests point these at a fake tree.
PROC = Path("/proc")
SYS = Path("/sys")


class Skip(Exception):
    """This check cannot be asked: an earlier one failed."""

    def __init__(self, why: Text) -> None:
        super().__init__(why.en)
        self.why = why


UNREACHABLE = both(
    "skipped: the API cannot be reached (see above)",
    "건너뜀: API에 연결할 수 없습니다(위 참고)",
)


def local_host() -> Any:
    import testinfra

    return testinfra.get_host("local://")


@dataclass
class Context:
    backend: Backend
    target: Target
    size_mib: int = 0  # --size: also measure a container filled to this size
    pool: str | None = None  # --pool: measure there instead of the default profile's pool
    timings: dict[str, dict[str, float]] = field(default_factory=dict)
    host: Any = field(default_factory=local_host)  # testinfra host the checks read
    _conn: Connection | None = None
    _error: SnaplabError | None = None  # why the pylxd connection failed
    unreachable: SnaplabError | None = None  # why the daemon could not be asked
    _answers: dict[str, Any] = field(default_factory=dict)

    @property
    def conn(self) -> Connection:
        if self._conn is None and self._error is None:
            try:
                self._conn = connect(self.target)
            except CertificateMismatch:
                raise  # not a finding: nothing may be asked of an impostor
            except SnaplabError as e:
                self._error = e
        if self._error is not None:
            raise Skip(UNREACHABLE)
        assert self._conn is not None
        return self._conn

    @property
    def socket(self) -> str:
        """The daemon's socket on the checked host (its LXD_DIR / INCUS_DIR, not ours)."""
        if "socket" not in self._answers:
            self._answers["socket"] = hostview.socket_path(self.host, self.backend)
        return str(self._answers["socket"])

    def socket_state(self) -> str:
        if "socket-state" not in self._answers:
            self._answers["socket-state"] = hostview.socket_state(self.host, self.socket)
        return str(self._answers["socket-state"])

    def info(self) -> dict[str, Any]:
        """The daemon's /1.0, asked once: over HTTPS for a remote, else through the host's
        client. Skip (with `unreachable` set) when the daemon cannot be asked."""
        if "/1.0" not in self._answers:
            if self.target.url:
                try:
                    self._answers["/1.0"] = self.conn.client.host_info
                except Skip:
                    self.unreachable = self._error
                    raise
            elif self.unreachable is None:
                try:
                    if self.socket_state() != hostview.OK:
                        raise hostview.unreachable(
                            self.host, self.backend, self.socket, self.socket_state()
                        )
                    self._answers["/1.0"] = hostview.info(
                        self.host, self.backend, self.target.project
                    )
                except SnaplabError as e:
                    self.unreachable = e
            if self.unreachable is not None:
                raise Skip(UNREACHABLE)
        return dict(self._answers["/1.0"])

    def get(self, path: str) -> Any:
        """GET with recursion=1: one round-trip per question, asked once per run (the
        probes ask again what the checks before them asked: the answer has not changed)."""
        if path not in self._answers:
            self.info()  # Skip: the daemon cannot be asked
            if self.target.url:
                node = instance.node(self.conn.client, path)
                self._answers[path] = node.get(params={"recursion": 1}).json()["metadata"]
            else:
                self._answers[path] = hostview.query(
                    self.host, self.backend, f"{path}?recursion=1", self.target.project
                )
        return self._answers[path]


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
        _reference("btrfs", ctx.backend.name, ctx.size_mib) if "sized" in ctx.timings else None
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


def _reference(driver: str, backend: str, size_mib: int) -> float | None:
    """The snapshot time `make bench` measured on `driver` at the nearest size, if shipped.

    The figure comes from guides/captured/storage.json, the same run the host page charts.
    """
    import json

    from snaplab.paths import data_dir

    try:
        rows = json.loads((data_dir("guides") / "captured" / "storage.json").read_text())["rows"]
    except (OSError, KeyError, ValueError, FileNotFoundError):
        return None
    mine = [r for r in rows if r["driver"] == driver and r["backend"] == backend]
    if not mine:
        return None
    nearest = min(mine, key=lambda r: abs(r["size_mib"] - size_mib))
    return float(nearest["snapshot"]["median"])


def sized(ctx: Context) -> Text:
    """Snapshot and restore cost of a container filled to --size: what an operator's own
    container would pay, rather than the 2 MB lab container's."""
    if root_disk(ctx)[0] is not Status.PASS or lab_image(ctx)[0] is not Status.PASS:
        return both(
            "not measured (no root disk or no lab image, see below)",
            "측정하지 않음(루트 디스크나 실습 이미지가 없습니다. 아래 참고)",
        )
    client = ctx.conn.client
    name = PROBE_PREFIX + uuid.uuid4().hex[:8]
    try:
        cost = cycle(client, name, fill_mib=ctx.size_mib, pool=ctx.pool)
    except (LXDAPIException, instance.OperationFailed) as e:
        remove_probe(client, name)
        return both(
            f"not measured: the daemon refused: {e}", f"측정하지 않음: 데몬이 거부했습니다: {e}"
        )
    except BaseException:
        leave_probe(client, name)
        raise
    remove_probe(client, name)
    ctx.timings["sized"] = {"size_mib": ctx.size_mib, **cost.to_dict()}
    return (
        both(f"a {ctx.size_mib} MiB container: ", f"{ctx.size_mib} MiB 컨테이너: ")
        + cost.describe()
    )


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


@dataclass
class Cost:
    """What the chapter's cycle cost, in seconds. Downtime is what a restore takes the
    service away for: the stop as the chapter types it (not forced), the restore, the start."""

    snapshot: float = 0.0
    stop: float = 0.0
    restore: float = 0.0
    start: float = 0.0
    survived: bool = False  # the file written after the snapshot was still there

    @property
    def downtime(self) -> float:
        return self.stop + self.restore + self.start

    def to_dict(self) -> dict[str, float]:
        return {
            "snapshot": round(self.snapshot, 3),
            "restore": round(self.restore, 3),
            "downtime": round(self.downtime, 3),
            "stop": round(self.stop, 3),
            "start": round(self.start, 3),
        }

    def describe(self) -> Text:
        return both(
            f"snapshot {self.snapshot:.2f} s, restore {self.restore:.2f} s, downtime "
            f"{self.downtime:.2f} s = stop {self.stop:.2f} + restore + start {self.start:.2f}",
            f"스냅샷 {self.snapshot:.2f}초, 복원 {self.restore:.2f}초, 중단 시간 "
            f"{self.downtime:.2f}초 = 정지 {self.stop:.2f} + 복원 + 시작 {self.start:.2f}",
        )


def cycle(client: Any, name: str, fill_mib: int = 0, pool: str | None = None) -> Cost:
    """The chapter in miniature on a labelled throwaway container, timed step by step:
    launch (and fill), snapshot, write a file, stop, restore, start, delete the snapshot."""
    config = {"name": name, "source": {"type": "image", "alias": ALIAS}}
    config["config"] = {instance.LABEL: "doctor", PROBE_RUNNER: _runner()}
    if pool:
        config["devices"] = {"root": {"type": "disk", "path": "/", "pool": pool}}
    inst = client.instances.create(config, wait=True)
    inst.start(wait=True)
    if fill_mib:
        fill = ["dd", "if=/dev/urandom", f"of={FILL_FILE}", "bs=1048576", f"count={fill_mib}"]
        done = instance.execute(client, name, fill, timeout=900)
        if done.rc == 0:  # else the snapshot would pay for writing the fill back to disk
            done = instance.execute(client, name, ["sync"], timeout=900)
        if done.rc != 0:
            raise instance.OperationFailed(f"could not fill the container: {done.stderr.strip()}")
    cost = Cost()
    t = time.perf_counter()
    inst.snapshots.create("before", wait=True)
    cost.snapshot = time.perf_counter() - t
    write = instance.execute(client, name, ["touch", PROBE_FILE])
    if write.rc != 0:
        raise instance.OperationFailed(f"could not write in the container: {write.stderr.strip()}")
    for step, act in (
        ("stop", lambda: inst.stop(wait=True)),
        ("restore", lambda: inst.restore_snapshot("before", wait=True)),
        ("start", lambda: inst.start(wait=True)),
    ):
        t = time.perf_counter()
        act()
        setattr(cost, step, time.perf_counter() - t)
    cost.survived = instance.file_exists(client, name, PROBE_FILE)
    inst.snapshots.get("before").delete(wait=True)
    return cost


def _runner() -> str:
    return f"{pysocket.gethostname()}:{os.getpid()}"


def _settle(client: Any, name: str, timeout: int = 60) -> None:
    """Wait for the daemon's running operations on this instance (create, start, ...).

    After Ctrl-C the daemon goes on creating or starting the probe; deleting it
    meanwhile fails ("busy running a create operation", "instance is running").
    """
    try:
        listed = client.api.operations.get(params={"recursion": 1}, timeout=10)
    except requests.RequestException:
        return  # a daemon too busy to list its operations: try the delete all the same
    ops = listed.json()["metadata"] or {}
    for op in ops.get("running") or []:
        urls = (op.get("resources") or {}).get("instances") or []
        if any(u.split("?")[0].rstrip("/").endswith(f"/instances/{name}") for u in urls):
            try:
                client.api.operations[op["id"]].wait.get(params={"timeout": timeout})
            except LXDAPIException:
                pass  # finished and gone meanwhile


PATIENCE = 75.0  # seconds the way out of an interrupted probe asks a silent daemon again


def leave_probe(client: Any, name: str) -> None:
    """remove_probe on an exception's way out of a probe (Ctrl-C's): a daemon that does not
    answer now must not turn the interrupt into a traceback. An LXD 5.0 interrupted in the
    middle of a start was seen not to answer for about a minute: ask again, each request
    waiting 20 s rather than the client's 60, until PATIENCE runs out. A probe left then
    keeps its label and its dead doctor's pid, so the next doctor sweeps it (sweep).

    Why a daemon goes silent: a Ctrl-C that lands between a connection's connect and its
    request leaves that socket open in the exception's frames, and LXD 5.0 and Incus 6.0
    answer no other client on their unix socket while an accepted connection says nothing
    (measured: over 120 s). Clearing those frames closes it before anything is asked."""
    traceback.clear_frames(sys.exc_info()[2])
    deadline = time.monotonic() + PATIENCE
    client.api._timeout = 20  # pylxd's per-request timeout, which every node below inherits
    while True:
        try:
            remove_probe(client, name)
            return
        except (requests.RequestException, LXDAPIException):
            if time.monotonic() > deadline:
                return
            time.sleep(2)


def remove_probe(client: Any, name: str) -> None:
    """Delete a probe container, but only if it carries the doctor's label."""
    _settle(client, name)
    try:
        inst = client.instances.get(name)
    except NotFound:
        return
    if inst.config.get(instance.LABEL) != "doctor":
        return
    if inst.status != "Stopped":
        inst.stop(wait=True, force=True)
    inst.delete(wait=True)


def _doctor_alive(runner: str) -> bool:
    """Whether the doctor that launched a probe still runs (so its probe is not left over)."""
    host, _, pid = runner.rpartition(":")
    if host != pysocket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's live process
    return True


def sweep(ctx: Context) -> None:
    """Remove probes left by a doctor that was killed outright (kill -9).

    A probe whose doctor still runs (another doctor on the same daemon) is not
    left over: leave it to that doctor.
    """
    client = ctx.conn.client
    for inst in client.instances.all():
        if inst.name.startswith(PROBE_PREFIX) and not _doctor_alive(
            inst.config.get(PROBE_RUNNER, "")
        ):
            remove_probe(client, inst.name)


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
