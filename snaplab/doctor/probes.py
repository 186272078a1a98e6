"""The probe's life: a labelled throwaway container that runs the chapter in miniature.

doctor's own work on a pylxd connection (the `probe` check, and `--size`'s measurement):
it launches containers, which a host check run against many hosts should not do. A probe
is always removed, also on Ctrl-C's way out (leave_probe); one whose doctor was killed
outright keeps its label and that doctor's pid, so the next doctor sweeps it (sweep.py).
"""

from __future__ import annotations

import os
import socket as pysocket
import sys
import time
import traceback
from dataclasses import dataclass
from typing import Any

import requests
from pylxd.exceptions import LXDAPIException, NotFound

from snaplab import instance
from snaplab.host.image import ALIAS
from snaplab.i18n import Text, both

PROBE_PREFIX = "snaplab-doctor-"
PROBE_FILE = "/root/snaplab-probe.txt"
FILL_FILE = "/root/snaplab-fill"  # --size: random bytes, so no driver can compress them away
PROBE_RUNNER = "user.snaplab.doctor"  # host:pid of the doctor that launched a probe


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
