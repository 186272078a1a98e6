"""The doctor's checks, in the order an operator would ask them.

Each check returns (status, detail, fix). A check that needs the API gets the
connection from `Context`, which opens it once; if that failed, the check is
SKIPped with the reason, so a broken host still gets a full, useful report.
"""

from __future__ import annotations

import getpass
import os
import shutil
import socket as pysocket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pylxd.exceptions import LXDAPIException, NotFound

from snaplab import instance
from snaplab.backends import Backend
from snaplab.doctor.results import Finding, Status
from snaplab.errors import ExitCode, SnaplabError
from snaplab.host.image import ALIAS
from snaplab.remotes import CertificateMismatch
from snaplab.transports import Connection, Target, connect
from snaplab.transports.local import socket_problem

Outcome = tuple[Status, str, str]
PROBE_PREFIX = "snaplab-doctor-"
PROBE_FILE = "/root/snaplab-probe.txt"
FILL_FILE = "/root/snaplab-fill"  # --size: random bytes, so no driver can compress them away
PROBE_RUNNER = "user.snaplab.doctor"  # host:pid of the doctor that launched a probe
# Where the kernel check looks; tests point these at a fake tree.
PROC = Path("/proc")
SYS = Path("/sys")


class Skip(Exception):
    """This check cannot be asked: an earlier one failed."""


@dataclass
class Context:
    backend: Backend
    target: Target
    size_mib: int = 0  # --size: also measure a container filled to this size
    pool: str | None = None  # --pool: measure there instead of the default profile's pool
    timings: dict[str, dict[str, float]] = field(default_factory=dict)
    _conn: Connection | None = None
    _error: SnaplabError | None = None

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
            raise Skip("skipped: the API cannot be reached (see above)")
        assert self._conn is not None
        return self._conn

    def get(self, path: str) -> Any:
        """GET with recursion=1: one round-trip per question."""
        node = instance.node(self.conn.client, path)
        return node.get(params={"recursion": 1}).json()["metadata"]


def kernel(ctx: Context) -> Outcome:
    missing = [
        ns
        for ns in ("user", "mnt", "pid", "net", "uts", "ipc", "cgroup")
        if not (PROC / "self" / "ns" / ns).exists()
    ]
    if missing:
        return (
            Status.FAIL,
            f"namespaces missing: {', '.join(missing)}",
            "use a kernel built with CONFIG_NAMESPACES and all namespace types",
        )
    max_userns = PROC / "sys" / "user" / "max_user_namespaces"
    if max_userns.exists() and max_userns.read_text().strip() == "0":
        return (
            Status.FAIL,
            "user namespaces are disabled",
            "sysctl -w user.max_user_namespaces=15000",
        )
    cgroup = SYS / "fs" / "cgroup"
    if (cgroup / "cgroup.controllers").exists():
        cg = "cgroup v2 (" + (cgroup / "cgroup.controllers").read_text().strip() + ")"
    elif (cgroup / "memory").exists():
        cg = "cgroup v1"
    else:
        return Status.FAIL, "no cgroup hierarchy is mounted", "mount -t cgroup2 none /sys/fs/cgroup"
    return Status.PASS, f"namespaces present, {cg}", ""


def installed(ctx: Context) -> Outcome:
    b = ctx.backend
    if not shutil.which(b.cli) or not Path(b.daemon[0]).exists():
        return (
            Status.FAIL,
            f"{b.cli} or {b.daemon[0]} is missing",
            f"sudo snaplab host setup --backend {b.name}",
        )
    return Status.PASS, f"{b.cli} and {b.daemon[0]}", ""


def socket_access(ctx: Context) -> Outcome:
    b = ctx.backend
    if ctx.target.url:
        return Status.PASS, f"HTTPS remote {ctx.target.url}: no socket to check", ""
    if not b.socket.exists():
        return (
            Status.FAIL,
            f"no socket at {b.socket}: the daemon is not running",
            f"sudo snaplab host setup --backend {b.name}",
        )
    problem = socket_problem(b)
    if problem is not None and problem.code == ExitCode.PERMISSION:
        user = getpass.getuser()
        return (
            Status.FAIL,
            f"user {user} may not use {b.socket}",
            f"sudo usermod -aG {b.group} {user}  (then log in again)",
        )
    if problem is not None:  # a daemon that died (kill -9, OOM) leaves its socket behind
        return (
            Status.FAIL,
            f"{b.socket} refuses connections: the daemon is not running",
            f"sudo snaplab host setup --backend {b.name}",
        )
    return Status.PASS, f"{getpass.getuser()} may use {b.socket}", ""


def api(ctx: Context) -> Outcome:
    try:
        conn = ctx.conn
    except Skip:
        assert ctx._error is not None
        return Status.FAIL, str(ctx._error.message), ""
    trusted = conn.client.host_info.get("auth") == "trusted"
    if not trusted:
        return (
            Status.FAIL,
            "the API answers but does not trust this client",
            f"{ctx.backend.cli} config trust add  (on the server)",
        )
    where = f", {ctx.target.url}, auth trusted" if ctx.target.url else ""
    return (
        Status.PASS,
        f"{conn.server} {conn.version}, API {conn.client.host_info['api_version']}{where}",
        "",
    )


def storage(ctx: Context) -> Outcome:
    pools = ctx.get("/1.0/storage-pools")
    if not pools:
        return (
            Status.FAIL,
            "no storage pool",
            f"sudo snaplab host setup --backend {ctx.backend.name}  (preseeds a dir pool)",
        )
    if ctx.pool and ctx.pool not in {p["name"] for p in pools}:
        known = ", ".join(p["name"] for p in pools)
        return Status.FAIL, f"no storage pool named {ctx.pool} (there is {known})", ""
    drivers = ", ".join(f"{p['name']} ({p['driver']})" for p in pools)
    measured = sized(ctx) if ctx.size_mib else ""
    if "sized" in ctx.timings:  # a dir pool warns with its own figure, beside btrfs's
        on = ctx.pool or _default_pool(ctx)
        copies = any(p["driver"] == "dir" and p["name"] == on for p in pools)
    else:
        copies = all(p["driver"] == "dir" for p in pools)
    if not copies:
        return Status.PASS, drivers + (f"; {measured}" if measured else ""), ""
    on_btrfs = (
        _reference("btrfs", ctx.backend.name, ctx.size_mib) if "sized" in ctx.timings else None
    )
    return (
        Status.WARN,
        f"{drivers}: on dir a snapshot copies the whole root filesystem"
        + (f"; {measured}" if measured else "")
        + (f"; on btrfs it would be about {on_btrfs:.1f} s" if on_btrfs else ""),
        f"{ctx.backend.cli} storage create fast btrfs size=4GiB  (copy-on-write: "
        "snapshots in milliseconds, any snapshot restorable; zfs restores only the latest "
        "unless zfs.remove_snapshots=true)",
    )


def _default_pool(ctx: Context) -> str | None:
    devices = ctx.get("/1.0/profiles/default").get("devices", {}).values()
    return next(
        (d.get("pool") for d in devices if d.get("type") == "disk" and d.get("path") == "/"), None
    )


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


def sized(ctx: Context) -> str:
    """Snapshot and restore cost of a container filled to --size: what an operator's own
    container would pay, rather than the 2 MB lab container's."""
    if root_disk(ctx)[0] is not Status.PASS or lab_image(ctx)[0] is not Status.PASS:
        return "not measured (no root disk or no lab image, see below)"
    client = ctx.conn.client
    name = PROBE_PREFIX + uuid.uuid4().hex[:8]
    try:
        cost = cycle(client, name, fill_mib=ctx.size_mib, pool=ctx.pool)
    except (LXDAPIException, instance.OperationFailed) as e:
        return f"not measured: the daemon refused: {e}"
    finally:
        remove_probe(client, name)
    ctx.timings["sized"] = {"size_mib": ctx.size_mib, **cost.to_dict()}
    return f"a {ctx.size_mib} MiB container: {cost.describe()}"


def root_disk(ctx: Context) -> Outcome:
    profile = ctx.get("/1.0/profiles/default")
    disks = [
        d
        for d in profile.get("devices", {}).values()
        if d.get("type") == "disk" and d.get("path") == "/"
    ]
    if not disks:
        return (
            Status.FAIL,
            "the default profile has no root disk",
            f"{ctx.backend.cli} profile device add default root disk path=/ pool=default",
        )
    return Status.PASS, f"root disk on pool {disks[0].get('pool')}", ""


def lab_image(ctx: Context) -> Outcome:
    aliases = {a["name"] for a in ctx.get("/1.0/images/aliases")}
    if ALIAS not in aliases:
        return (
            Status.FAIL,
            f"no image with alias {ALIAS}",
            f"sudo snaplab host setup --backend {ctx.backend.name}  (builds it offline)",
        )
    return Status.PASS, f"{ALIAS} is present", ""


def probe(ctx: Context) -> Outcome:
    """The chapter in miniature, on a throwaway container that is always removed."""
    if root_disk(ctx)[0] is not Status.PASS:
        raise Skip("skipped: no root disk in the default profile to launch on")
    if lab_image(ctx)[0] is not Status.PASS:
        raise Skip(f"skipped: no image {ALIAS} to launch")
    client = ctx.conn.client
    name = PROBE_PREFIX + uuid.uuid4().hex[:8]
    try:
        return _probe(ctx, client, name)
    except (LXDAPIException, instance.OperationFailed) as e:
        # a daemon that cannot launch, snapshot or restore is the finding, not a crash
        return (
            Status.FAIL,
            f"the daemon refused: {e}",
            f"see the {ctx.backend.title} daemon's log (/var/log/snaplab/{ctx.backend.name}.log)",
        )
    finally:
        remove_probe(client, name)


def _probe(ctx: Context, client: Any, name: str) -> Outcome:
    cost = cycle(client, name, pool=ctx.pool)
    ctx.timings["lab"] = cost.to_dict()
    if cost.survived:
        return (
            Status.FAIL,
            "the file written after the snapshot survived the restore",
            "check the storage driver's logs",
        )
    return Status.PASS, cost.describe(), ""


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

    def describe(self) -> str:
        return (
            f"snapshot {self.snapshot:.2f} s, restore {self.restore:.2f} s, downtime "
            f"{self.downtime:.2f} s = stop {self.stop:.2f} + restore + start {self.start:.2f}"
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
    ops = client.api.operations.get(params={"recursion": 1}).json()["metadata"] or {}
    for op in ops.get("running") or []:
        urls = (op.get("resources") or {}).get("instances") or []
        if any(u.split("?")[0].rstrip("/").endswith(f"/instances/{name}") for u in urls):
            try:
                client.api.operations[op["id"]].wait.get(params={"timeout": timeout})
            except LXDAPIException:
                pass  # finished and gone meanwhile


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


@dataclass(frozen=True)
class Check:
    id: str
    title: str
    run: Callable[[Context], Outcome]


CHECKS = [
    Check("kernel", "kernel: namespaces and cgroups", kernel),
    Check("installed", "daemon installed", installed),
    Check("socket", "current user may use the socket", socket_access),
    Check("api", "daemon running, API reachable, version and kind", api),
    Check("storage", "storage pool and driver", storage),
    Check("root-disk", "default profile has a root disk", root_disk),
    Check("image", "lab image present", lab_image),
    Check("probe", "end-to-end snapshot and restore", probe),
]


def run_all(ctx: Context, checks: list[Check] = CHECKS) -> list[Finding]:
    findings = []
    for check in checks:
        try:
            status, detail, fix = check.run(ctx)
        except Skip as e:
            status, detail, fix = Status.SKIP, str(e), ""
        findings.append(Finding(check.id, check.title, status, detail, fix))
    return findings
