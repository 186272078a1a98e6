"""Doctor checks as pure logic: fake kernel trees, fake backends, canned API answers.

No daemon is needed; the checks that need one get a Context whose answers are
given, or a socket path where nothing listens.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast
from unittest.mock import MagicMock

import pytest
import requests
from pylxd.exceptions import LXDAPIException, NotFound

from snaplab.backends import BACKENDS, Backend, get_backend
from snaplab.commands.doctor import DoctorResult, size_mib
from snaplab.doctor import checks, probes, size, sweep
from snaplab.doctor.checks import CHECKS
from snaplab.doctor.context import Context, Outcome, Skip
from snaplab.doctor.results import Finding, Report, Status
from snaplab.errors import ExitCode
from snaplab.host.image import ALIAS
from snaplab.i18n import same
from snaplab.instance import LABEL
from snaplab.transports import Target

NAMESPACES = ("user", "mnt", "pid", "net", "uts", "ipc", "cgroup")


def en(outcome: Outcome) -> tuple[Status, str, str]:
    """A check's outcome in English: what these tests assert on (Korean: see test_i18n)."""
    status, detail, fix = outcome
    return status, detail.en, fix.en


def context(backend: str = "lxd") -> Context:
    return Context(get_backend(backend), Target(backend))


# -- kernel ----------------------------------------------------------------------


def fake_kernel(
    root: Path,
    monkeypatch: pytest.MonkeyPatch,
    *,
    namespaces: tuple[str, ...] = NAMESPACES,
    max_userns: str | None = "15000",
    cgroup: str | None = "v2",
) -> None:
    """A /proc and /sys as the kernel check reads them, pointed at by checks.PROC/SYS."""
    proc, sys_ = root / "proc", root / "sys"
    (proc / "self" / "ns").mkdir(parents=True)
    for ns in namespaces:
        (proc / "self" / "ns" / ns).write_text("")
    if max_userns is not None:
        (proc / "sys" / "user").mkdir(parents=True)
        (proc / "sys" / "user" / "max_user_namespaces").write_text(max_userns + "\n")
    cg = sys_ / "fs" / "cgroup"
    cg.mkdir(parents=True)
    if cgroup == "v2":
        (cg / "cgroup.controllers").write_text("cpuset cpu io memory pids\n")
    elif cgroup == "v1":
        (cg / "memory").mkdir()
    monkeypatch.setattr(checks, "PROC", proc)
    monkeypatch.setattr(checks, "SYS", sys_)


def test_kernel_passes_on_this_machine():
    status, detail, fix = en(checks.kernel(context()))
    assert status is Status.PASS, detail
    assert detail.startswith("namespaces present, cgroup v")
    assert fix == ""


def test_kernel_reads_the_real_proc_and_sys_by_default():
    assert checks.PROC == Path("/proc") and checks.SYS == Path("/sys")


@pytest.mark.parametrize("gone", [("cgroup",), ("user", "net")])
def test_kernel_fails_when_namespaces_are_missing(tmp_path, monkeypatch, gone):
    fake_kernel(tmp_path, monkeypatch, namespaces=tuple(n for n in NAMESPACES if n not in gone))
    status, detail, fix = en(checks.kernel(context()))
    assert status is Status.FAIL
    assert detail == f"namespaces missing: {', '.join(gone)}"
    assert "CONFIG_NAMESPACES" in fix


def test_kernel_fails_when_user_namespaces_are_disabled(tmp_path, monkeypatch):
    fake_kernel(tmp_path, monkeypatch, max_userns="0")
    status, detail, fix = en(checks.kernel(context()))
    assert status is Status.FAIL
    assert detail == "user namespaces are disabled"
    assert fix == "sysctl -w user.max_user_namespaces=15000"


def test_kernel_fails_without_a_cgroup_hierarchy(tmp_path, monkeypatch):
    fake_kernel(tmp_path, monkeypatch, cgroup=None)
    status, detail, fix = en(checks.kernel(context()))
    assert status is Status.FAIL
    assert detail == "no cgroup hierarchy is mounted"
    assert fix.startswith("mount -t cgroup2")


@pytest.mark.parametrize(
    ("cgroup", "expected"),
    [
        ("v2", "namespaces present, cgroup v2 (cpuset cpu io memory pids)"),
        ("v1", "namespaces present, cgroup v1"),
    ],
)
def test_kernel_passes_and_names_the_cgroup_version(tmp_path, monkeypatch, cgroup, expected):
    fake_kernel(tmp_path, monkeypatch, cgroup=cgroup, max_userns=None)
    assert en(checks.kernel(context())) == (Status.PASS, expected, "")


# -- installed -------------------------------------------------------------------


def with_binaries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, backend: str) -> Backend:
    """A backend whose client and daemon are fake executables under tmp_path."""
    b = get_backend(backend)
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for name in (b.cli, "daemon"):
        (bindir / name).write_text("#!/bin/sh\n")
        (bindir / name).chmod(0o755)
    # testinfra asks `uname -s` which system this is before its first file look: a test that
    # came first, on the real PATH, had it cached, so this one failed when run alone
    (bindir / "uname").symlink_to(shutil.which("uname") or "/usr/bin/uname")
    monkeypatch.setenv("PATH", str(bindir))
    return replace(b, daemon=(str(bindir / "daemon"), *b.daemon[1:]))


@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_installed_fails_when_the_daemon_binary_is_missing(tmp_path, monkeypatch, backend):
    b = with_binaries(tmp_path, monkeypatch, backend)
    gone = replace(b, daemon=(str(tmp_path / "no-such-daemon"), *b.daemon[1:]))
    status, detail, fix = en(checks.installed(Context(gone, Target(backend))))
    assert status is Status.FAIL
    assert str(tmp_path / "no-such-daemon") in detail
    assert fix == f"sudo snaplab host setup --backend {backend}"


@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_installed_fails_when_the_client_is_not_on_path(tmp_path, monkeypatch, backend):
    b = with_binaries(tmp_path, monkeypatch, backend)
    (tmp_path / "bin" / b.cli).unlink()
    status, detail, fix = en(checks.installed(Context(b, Target(backend))))
    assert status is Status.FAIL
    assert detail.startswith(f"{b.cli} or ")
    assert fix == f"sudo snaplab host setup --backend {backend}"


@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_installed_passes_when_both_are_there(tmp_path, monkeypatch, backend):
    b = with_binaries(tmp_path, monkeypatch, backend)
    assert en(checks.installed(Context(b, Target(backend)))) == (
        Status.PASS,
        f"{b.cli} and {b.daemon[0]}",
        "",
    )


@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_installed_passes_for_the_real_backends(backend):
    b = get_backend(backend)
    if not shutil.which(b.cli) or not Path(b.daemon[0]).exists():
        pytest.skip(f"{b.title} is not installed here")
    assert checks.installed(context(backend))[0] is Status.PASS


# -- socket and api, with nothing listening ----------------------------------------


@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_no_daemon_fails_socket_and_api_and_skips_the_rest(tmp_path, monkeypatch, backend):
    b = get_backend(backend)
    monkeypatch.setenv(b.env_dir, str(tmp_path))  # a daemon directory nobody runs
    findings = checks.run_all(context(backend))
    by_id = {f.id: f for f in findings}
    # another daemon than the main one: this host's snapshot server is not asked about
    assert [f.id for f in findings] == [c.id for c in CHECKS if c.id != "snapshot-server"]
    assert by_id["socket"].status is Status.FAIL
    assert (
        by_id["socket"].detail.en
        == f"no socket at {tmp_path / 'unix.socket'}: the daemon is not running"
    )
    assert by_id["api"].status is Status.FAIL
    assert "is not running" in by_id["api"].detail.en
    for dependent in ("storage", "root-disk", "image", "probe"):
        assert by_id[dependent].status is Status.SKIP
        assert by_id[dependent].detail.en == "skipped: the API cannot be reached (see above)"
    assert not Report(backend, findings).fit


def test_a_socket_nobody_listens_on_fails_socket(tmp_path, monkeypatch):
    path = tmp_path / "unix.socket"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(path))  # bound, never listening: what a killed daemon leaves behind
    try:
        monkeypatch.setenv("LXD_DIR", str(tmp_path))
        status, detail, fix = en(checks.socket_access(context("lxd")))
    finally:
        sock.close()
    assert status is Status.FAIL
    assert detail == f"{path} refuses connections: the daemon is not running"
    assert fix == "sudo snaplab host setup --backend lxd"


def test_an_https_remote_has_no_socket_to_check():
    ctx = Context(get_backend("lxd"), Target("lxd", url="https://127.0.0.1:8443"))
    status, detail, _ = en(checks.socket_access(ctx))
    assert status is Status.PASS
    assert "https://127.0.0.1:8443" in detail


# -- checks that read the API, with canned answers ----------------------------------


class Canned(Context):
    """A Context whose API answers are given, keyed by path."""

    def __init__(self, answers: dict[str, Any], backend: str = "lxd") -> None:
        super().__init__(get_backend(backend), Target(backend))
        self.answers = answers

    def get(self, path: str) -> Any:
        return self.answers[path]


ROOT_DISK = {"devices": {"root": {"type": "disk", "path": "/", "pool": "default"}}}
FIT = {
    "/1.0/storage-pools": [{"name": "default", "driver": "dir"}],
    "/1.0/profiles/default": ROOT_DISK,
    "/1.0/images/aliases": [{"name": ALIAS}],
}


def test_storage_fails_without_a_pool():
    status, detail, fix = en(checks.storage(Canned({"/1.0/storage-pools": []})))
    assert (status, detail) == (Status.FAIL, "no storage pool")
    assert "snaplab host setup --backend lxd" in fix


@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_storage_warns_on_dir_only_and_says_what_cow_changes(backend):
    status, detail, fix = en(checks.storage(Canned(FIT, backend)))
    assert status is Status.WARN
    assert detail == "default (dir): on dir a snapshot copies the whole root filesystem"
    assert fix.startswith(f"{get_backend(backend).cli} storage create fast btrfs size=4GiB")
    assert "copy-on-write" in fix and "zfs.remove_snapshots=true" in fix


def test_storage_passes_with_a_copy_on_write_pool():
    pools = [{"name": "default", "driver": "dir"}, {"name": "fast", "driver": "btrfs"}]
    assert en(checks.storage(Canned({"/1.0/storage-pools": pools}))) == (
        Status.PASS,
        "default (dir), fast (btrfs)",
        "",
    )


def test_storage_fails_on_a_pool_that_is_not_there():
    ctx = Canned(FIT)
    ctx.pool = "fast"
    assert en(checks.storage(ctx)) == (
        Status.FAIL,
        "no storage pool named fast (there is default)",
        "",
    )


def sized_context(monkeypatch, driver: str, reference: dict | None) -> Canned:
    """--size 500: the measured cycle is canned, and so is the bench's shipped figure."""
    cost = probes.Cost(snapshot=3.8, stop=0.6, restore=0.3, start=0.1)
    monkeypatch.setattr(size, "cycle", lambda client, name, fill_mib, pool: cost)
    monkeypatch.setattr(size, "remove_probe", lambda client, name: None)
    monkeypatch.setattr(size, "reference", lambda d, b, mib: (reference or {}).get(d))
    ctx = Canned({**FIT, "/1.0/storage-pools": [{"name": "default", "driver": driver}]})
    ctx.size_mib = 500
    ctx._conn = cast(Any, SimpleNamespace(client=None))
    return ctx


def test_sized_dir_warns_with_the_figure_measured_here_and_btrfs_beside_it(monkeypatch):
    ctx = sized_context(monkeypatch, "dir", {"btrfs": 0.09})
    status, detail, _ = en(checks.storage(ctx))
    assert status is Status.WARN
    assert "a 500 MiB container: snapshot 3.80 s, restore 0.30 s, downtime 1.00 s" in detail
    assert detail.endswith("on btrfs it would be about 0.09 s")
    assert ctx.timings["sized"] == {
        "size_mib": 500, "snapshot": 3.8, "restore": 0.3, "downtime": 1.0, "stop": 0.6,
        "start": 0.1,
    }  # fmt: skip


def test_sized_dir_without_a_shipped_btrfs_figure_claims_none(monkeypatch):
    status, detail, _ = en(checks.storage(sized_context(monkeypatch, "dir", None)))
    assert status is Status.WARN and "btrfs it would" not in detail


def test_sized_btrfs_passes_with_its_figure(monkeypatch):
    status, detail, _ = en(checks.storage(sized_context(monkeypatch, "btrfs", None)))
    assert status is Status.PASS
    assert detail.startswith("default (btrfs); a 500 MiB container: snapshot 3.80 s")


def test_sized_is_not_measured_without_an_image(monkeypatch):
    ctx = sized_context(monkeypatch, "dir", {"btrfs": 0.09})
    ctx.answers["/1.0/images/aliases"] = []
    status, detail, _ = en(checks.storage(ctx))
    assert status is Status.WARN
    assert "not measured (no root disk or no lab image" in detail
    assert "sized" not in ctx.timings and "btrfs it would" not in detail


def test_reference_reads_the_nearest_size_of_the_shipped_bench(monkeypatch, tmp_path):
    rows = [
        {"backend": "lxd", "driver": "btrfs", "size_mib": s, "snapshot": {"median": m}}
        for s, m in ((10, 0.05), (100, 0.07), (500, 0.11))
    ]
    (tmp_path / "captured").mkdir()
    (tmp_path / "captured" / "storage.json").write_text(json.dumps({"rows": rows}))
    monkeypatch.setattr("snaplab.paths.data_dir", lambda kind: tmp_path)
    assert size.reference("btrfs", "lxd", 400) == 0.11
    assert size.reference("btrfs", "incus", 400) is None
    assert size.reference("dir", "lxd", 400) is None


def test_downtime_is_stop_restore_and_start():
    cost = probes.Cost(snapshot=0.2, stop=2.5, restore=0.25, start=0.5)
    assert cost.downtime == 3.25
    assert cost.describe().en == (
        "snapshot 0.20 s, restore 0.25 s, downtime 3.25 s = stop 2.50 + restore + start 0.50"
    )


@pytest.mark.parametrize(
    "value, mib",
    [("500M", 500), ("500m", 500), ("2G", 2048), ("512MiB", 512), ("100MB", 100), ("10", 10),
     ("2048K", 2)],
)  # fmt: skip
def test_size_option_reads_the_usual_units(value, mib):
    assert size_mib(value) == mib


@pytest.mark.parametrize("value", ["", "5Q", "-1M", "1.5G", "100K", "M"])
def test_size_option_refuses_what_is_not_a_size(value):
    with pytest.raises(argparse.ArgumentTypeError):
        size_mib(value)


@pytest.mark.parametrize(
    "devices",
    [
        {},
        {"eth0": {"type": "nic", "network": "br0"}},
        {"data": {"type": "disk", "path": "/data", "pool": "default"}},
    ],
)
def test_root_disk_fails_without_a_disk_at_slash(devices):
    status, detail, fix = en(
        checks.root_disk(Canned({"/1.0/profiles/default": {"devices": devices}}))
    )
    assert (status, detail) == (Status.FAIL, "the default profile has no root disk")
    assert fix == "lxc profile device add default root disk path=/ pool=default"


def test_root_disk_passes_and_names_the_pool():
    assert en(checks.root_disk(Canned(FIT))) == (Status.PASS, "root disk on pool default", "")


def test_image_fails_without_the_alias():
    status, detail, _ = en(checks.lab_image(Canned({"/1.0/images/aliases": [{"name": "other"}]})))
    assert (status, detail) == (Status.FAIL, f"no image with alias {ALIAS}")


@pytest.mark.parametrize(
    ("broken", "reason"),
    [
        ({"/1.0/profiles/default": {"devices": {}}}, "root disk"),
        ({"/1.0/images/aliases": []}, ALIAS),
    ],
)
def test_probe_is_skipped_when_it_could_not_launch(broken, reason):
    with pytest.raises(Skip, match=reason):
        checks.probe(Canned({**FIT, **broken}))


def fake_client(
    instances: dict[str, Any] | None = None, running_ops: list[dict] | None = None
) -> MagicMock:
    client = MagicMock()
    client.api.operations.get.return_value.json.return_value = {
        "metadata": {"running": running_ops or []}
    }

    known = instances or {}

    def get(name: str) -> Any:
        if name not in known:
            raise NotFound(MagicMock(status_code=404))
        return known[name]

    client.instances.get.side_effect = get
    return client


def api_error(message: str) -> LXDAPIException:
    response = MagicMock(status_code=400)
    response.json.return_value = {"error": message}
    return LXDAPIException(response)


def test_probe_turns_a_daemon_refusal_into_a_fail_not_a_crash():
    ctx = Canned(FIT)
    client = fake_client()
    client.instances.create.side_effect = api_error("No root device could be found")
    ctx._conn = cast(Any, SimpleNamespace(client=client))
    status, detail, fix = en(checks.probe(ctx))
    assert status is Status.FAIL
    assert detail == "the daemon refused: No root device could be found"
    assert "/var/log/snaplab/lxd.log" in fix
    created = client.instances.create.call_args.args[0]
    assert created["name"].startswith(probes.PROBE_PREFIX)
    assert created["config"][LABEL] == "doctor"
    assert created["config"][probes.PROBE_RUNNER] == f"{socket.gethostname()}:{os.getpid()}"


# -- removing probes -----------------------------------------------------------------


def instance(
    name: str, *, label: str | None = "doctor", status: str = "Running", runner: str | None = None
) -> MagicMock:
    config = {} if label is None else {LABEL: label}
    if runner is not None:
        config[probes.PROBE_RUNNER] = runner
    inst = MagicMock(status=status, config=config)
    inst.name = name
    return inst


def test_remove_probe_stops_and_deletes_a_labelled_probe():
    probe = instance("snaplab-doctor-a")
    probes.remove_probe(fake_client({"snaplab-doctor-a": probe}), "snaplab-doctor-a")
    probe.stop.assert_called_once_with(wait=True, force=True)
    probe.delete.assert_called_once_with(wait=True)


def test_remove_probe_never_touches_an_unlabelled_container():
    other = instance("snaplab-doctor-a", label=None)
    probes.remove_probe(fake_client({"snaplab-doctor-a": other}), "snaplab-doctor-a")
    other.stop.assert_not_called()
    other.delete.assert_not_called()


def test_remove_probe_of_a_container_that_is_gone_does_nothing():
    probes.remove_probe(fake_client({}), "snaplab-doctor-gone")


def test_remove_probe_first_waits_for_operations_on_that_instance():
    ops = [
        {"id": "op-create", "resources": {"instances": ["/1.0/instances/snaplab-doctor-a"]}},
        {"id": "op-other", "resources": {"instances": ["/1.0/instances/somebody"]}},
        {"id": "op-none", "resources": None},
    ]
    probe = instance("snaplab-doctor-a", status="Stopped")
    client = fake_client({"snaplab-doctor-a": probe}, ops)
    probes.remove_probe(client, "snaplab-doctor-a")
    client.api.operations.__getitem__.assert_called_once_with("op-create")
    probe.stop.assert_not_called()
    probe.delete.assert_called_once_with(wait=True)


def test_remove_probe_still_deletes_when_the_daemon_cannot_list_its_operations():
    probe = instance("snaplab-doctor-a")
    client = fake_client({"snaplab-doctor-a": probe})
    client.api.operations.get.side_effect = requests.ReadTimeout("read timed out")
    probes.remove_probe(client, "snaplab-doctor-a")
    probe.delete.assert_called_once_with(wait=True)


def test_an_interrupted_probe_stays_interrupted_when_the_daemon_stops_answering(monkeypatch):
    """CI once saw Ctrl-C during a start, then a daemon that did not answer the clean-up:
    the read timeout replaced the interrupt and main() printed a traceback."""
    monkeypatch.setattr(probes, "PATIENCE", 0)
    ctx = Canned(FIT)
    client = fake_client()
    client.instances.create.side_effect = KeyboardInterrupt
    client.instances.get.side_effect = requests.ReadTimeout("read timed out")
    ctx._conn = cast(Any, SimpleNamespace(client=client))
    with pytest.raises(KeyboardInterrupt):
        checks.probe(ctx)


def test_the_way_out_asks_a_silent_daemon_again_until_it_answers(monkeypatch):
    """CI saw LXD 5.0 not answer for about a minute after a start was interrupted: the probe
    is still removed once it answers again, each request waiting 20 s, not 60."""
    monkeypatch.setattr(probes.time, "sleep", lambda s: None)
    probe = instance("snaplab-doctor-a")
    client = fake_client({"snaplab-doctor-a": probe})
    answers = [requests.ReadTimeout("read timed out"), probe]

    def get(name: str) -> Any:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    client.instances.get.side_effect = get
    probes.leave_probe(client, "snaplab-doctor-a")
    probe.delete.assert_called_once_with(wait=True)
    assert client.api._timeout == 20


def dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_doctor_alive_knows_live_and_dead_doctors():
    host = socket.gethostname()
    assert sweep._doctor_alive(f"{host}:{os.getpid()}")
    assert not sweep._doctor_alive(f"{host}:{dead_pid()}")
    assert not sweep._doctor_alive(f"another-host:{os.getpid()}")
    assert not sweep._doctor_alive("")
    assert not sweep._doctor_alive("garbage")


def test_sweep_removes_left_probes_only(monkeypatch):
    host = socket.gethostname()
    listed = [
        instance("snaplab-doctor-old"),  # no runner: a doctor before this key, or killed
        instance("snaplab-doctor-dead", runner=f"{host}:{dead_pid()}"),
        instance("snaplab-doctor-live", runner=f"{host}:{os.getpid()}"),
        instance("web", label="doctor"),  # not named like a probe
    ]
    client = MagicMock()
    client.instances.all.return_value = listed
    removed: list[str] = []
    monkeypatch.setattr(sweep, "remove_probe", lambda c, name: removed.append(name))
    ctx = context()
    ctx._conn = cast(Any, SimpleNamespace(client=client))
    sweep.sweep(ctx)
    assert removed == ["snaplab-doctor-old", "snaplab-doctor-dead"]


# -- results and the report ------------------------------------------------------------


def test_run_all_turns_skip_into_a_finding():
    def raises(ctx: Context) -> Outcome:
        raise Skip(same("skipped: because"))

    def passes(ctx: Context) -> Outcome:
        return Status.PASS, "fine", ""

    found = checks.run_all(
        context(), [checks.Check("a", "A", raises), checks.Check("b", "B", passes)]
    )
    assert found == [
        Finding("a", "A", Status.SKIP, "skipped: because", ""),
        Finding("b", "B", Status.PASS, "fine", ""),
    ]


@pytest.mark.parametrize(
    ("statuses", "fit"),
    [
        ([Status.PASS, Status.PASS], True),
        ([Status.PASS, Status.WARN], True),
        ([Status.PASS, Status.FAIL], False),
        ([Status.PASS, Status.SKIP], False),
    ],
)
def test_fitness_and_exit_code(statuses, fit):
    report = Report("lxd", [Finding(f"c{i}", "t", s) for i, s in enumerate(statuses)])
    result = DoctorResult([report])
    assert report.fit is fit
    assert result.code == (ExitCode.OK if fit else ExitCode.NOT_PASSING)
    assert result.to_dict()["fit"] is fit


def test_json_shape_and_rendering():
    report = Report(
        "incus",
        [
            Finding(
                "storage", "storage pool and driver", Status.WARN, "default (dir)", "use btrfs"
            ),
            Finding("image", "lab image present", Status.PASS, "ok", "never shown"),
            Finding("probe", "end-to-end", Status.FAIL, "broke", "look at logs"),
        ],
        seconds=1.234,
        timings={"lab": {"snapshot": 0.1, "restore": 0.1, "downtime": 0.8}},
    )
    data = DoctorResult([report]).to_dict()
    assert data == {
        "fit": False,
        "reports": [
            {
                "backend": "incus",
                "fit": False,
                "seconds": 1.23,
                "checks": [
                    {
                        "id": "storage",
                        "title": "storage pool and driver",
                        "status": "WARN",
                        "detail": "default (dir)",
                        "fix": "use btrfs",
                    },
                    {
                        "id": "image",
                        "title": "lab image present",
                        "status": "PASS",
                        "detail": "ok",
                        "fix": "never shown",
                    },
                    {
                        "id": "probe",
                        "title": "end-to-end",
                        "status": "FAIL",
                        "detail": "broke",
                        "fix": "look at logs",
                    },
                ],
                "timings": {"lab": {"snapshot": 0.1, "restore": 0.1, "downtime": 0.8}},
            }
        ],
    }
    text = DoctorResult([report]).render("en").splitlines()
    assert text == [
        "incus:",
        "  WARN  storage pool and driver: default (dir)",
        "        fix: use btrfs",
        "  PASS  lab image present: ok",
        "  FAIL  end-to-end: broke",
        "        fix: look at logs",
        "  => incus is NOT fit for the labs (1.2 s)",
    ]


def test_the_report_reads_in_korean(monkeypatch):
    """Titles, details with their figures, fixes and the verdict: no English left but commands."""
    ctx = sized_context(monkeypatch, "dir", {"btrfs": 0.09})
    storage = checks.storage(ctx)
    findings = [
        Finding("storage", CHECKS[4].title, *storage),
        Finding(
            "probe", CHECKS[7].title, Status.PASS, probes.Cost(0.08, 0.5, 0.12, 0.3).describe()
        ),
        Finding("image", CHECKS[6].title, *checks.lab_image(Canned({"/1.0/images/aliases": []}))),
    ]
    ko = DoctorResult([Report("lxd", findings, seconds=2.5)]).render("ko").splitlines()
    assert ko[0] == "lxd:"
    assert ko[1].startswith(
        "  WARN  스토리지 풀과 드라이버: default (dir): dir에서는 스냅샷이 루트 파일시스템 전체를 "
        "복사합니다; 500 MiB 컨테이너: 스냅샷 3.80초, 복원 0.30초, 중단 시간 1.00초"
    )
    assert ko[1].endswith("; btrfs라면 약 0.09초입니다")
    assert ko[2].startswith(
        "        해결: lxc storage create fast btrfs size=4GiB  (copy-on-write: "
    )
    assert ko[3] == (
        "  PASS  스냅샷과 복원 전체 과정: 스냅샷 0.08초, 복원 0.12초, 중단 시간 0.92초 "
        "= 정지 0.50 + 복원 + 시작 0.30"
    )
    assert ko[4] == f"  FAIL  실습 이미지: 별칭이 {ALIAS}인 이미지가 없습니다"
    assert ko[5] == "        해결: sudo snaplab host setup --backend lxd  (오프라인으로 만듭니다)"
    assert ko[6] == "  => lxd은(는) 실습에 적합하지 않습니다 (2.5초)"
    en = DoctorResult([Report("lxd", findings, seconds=2.5)]).render("en")
    assert "on dir a snapshot copies" in en and "스냅샷" not in en


def test_every_check_has_a_korean_title():
    for check in CHECKS:
        assert check.title.ko and check.title.ko != check.title.en, check.id


def test_the_snapshot_server_is_asked_about_only_where_there_is_one(monkeypatch):
    from snaplab.host import snapshot_server

    def status(exists: bool, answering: bool) -> None:
        found = snapshot_server.Status(exists, answering, same("detail"))
        monkeypatch.setattr(snapshot_server, "status", lambda backend: found)

    ctx = context()
    status(False, False)
    assert not checks.has_snapshot_server(ctx)
    status(True, False)
    assert checks.has_snapshot_server(ctx)
    assert checks.snapshot_server(ctx)[0] == Status.FAIL
    status(True, True)
    assert checks.snapshot_server(ctx)[0] == Status.PASS
    remote = replace(ctx, target=replace(ctx.target, url="https://127.0.0.1:8443"))
    assert not checks.has_snapshot_server(remote)  # a remote host's is not this machine's
