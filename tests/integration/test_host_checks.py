"""checks/test_host.py as an operator runs it: plain pytest, testinfra's stock backends.

Over ssh, each host is an sshd of our own on 127.0.0.1 (a free port, a throwaway key,
stopped at the end); the broken one sets the daemon's directory (SetEnv) to a spare
that was shut down, so the main daemons are only read. Both hosts go in ONE run, in
parallel (pytest-xdist), and each must get its own verdict.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from snaplab.backends import get_backend
from tests.integration.spare import ROOT, free_address

pytestmark = pytest.mark.integration

SSHD = Path("/usr/sbin/sshd")
MODULE = ROOT / "checks" / "test_host.py"
ALL_TESTS = (
    "test_kernel",
    "test_daemon_installed",
    "test_socket_usable",
    "test_daemon_answers",
    "test_storage_pool",
    "test_root_disk",
    "test_lab_image",
)


class Sshd:
    """sshd daemons on 127.0.0.1, one per host spec; all stopped by `stop`."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.procs: list[subprocess.Popen] = []
        # short (a control socket's path is < 108 bytes) and readable by a non-root user
        # logging in, for whom sshd reads the authorized keys
        self.shared = Path(tempfile.mkdtemp(prefix="ssh-", dir="/tmp"))
        self.shared.chmod(0o755)
        base.mkdir(mode=0o700)
        for name in ("host_key", "id"):
            subprocess.run(
                ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(base / name)],
                check=True,
            )
        (self.shared / "authorized_keys").write_text((base / "id.pub").read_text())
        (self.shared / "authorized_keys").chmod(0o644)
        self.config = base / "ssh_config"  # a Host alias per sshd, as an operator names hosts
        self.config.write_text(
            "Host *\n"
            f"  HostName 127.0.0.1\n  User root\n  IdentityFile {base / 'id'}\n"
            "  IdentitiesOnly yes\n  BatchMode yes\n  StrictHostKeyChecking no\n"
            "  UserKnownHostsFile /dev/null\n  LogLevel ERROR\n"
            # one connection per host for all its commands (testinfra asks for ControlMaster
            # and ControlPersist; the path is ours): about 0.4 s a command otherwise
            f"  ControlPath {self.shared}/%C\n"
        )
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege separation

    def host(self, name: str, env: dict[str, str], pam: bool = False) -> str:
        """Start an sshd whose sessions get `env`, known as `name`; its testinfra host spec.

        `pam`: for a user whose password is locked (useradd's "!"), which sshd refuses
        without PAM even for a key."""
        port = int(free_address().rsplit(":", 1)[1])
        # ssh uses the first value it reads: each alias goes before the `Host *` defaults
        self.config.write_text(f"Host {name}\n  Port {port}\n" + self.config.read_text())
        conf = self.base / f"sshd-{port}.conf"
        conf.write_text(
            f"Port {port}\nListenAddress 127.0.0.1\nHostKey {self.base / 'host_key'}\n"
            f"PidFile {self.base / f'sshd-{port}.pid'}\n"
            f"AuthorizedKeysFile {self.shared / 'authorized_keys'}\n"
            "PermitRootLogin prohibit-password\nPasswordAuthentication no\n"
            f"KbdInteractiveAuthentication no\nUsePAM {'yes' if pam else 'no'}\nStrictModes no\n"
            + "".join(f"SetEnv {k}={v}\n" for k, v in env.items())
        )
        log = open(self.base / f"sshd-{port}.log", "wb")
        self.procs.append(
            subprocess.Popen([str(SSHD), "-D", "-e", "-f", str(conf)], stdout=log, stderr=log)
        )
        deadline = time.monotonic() + 10
        while True:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if time.monotonic() > deadline or self.procs[-1].poll() is not None:
                raise AssertionError((self.base / f"sshd-{port}.log").read_text())
            time.sleep(0.05)
        return f"ssh://{name}"

    def stop(self) -> None:
        for master in self.shared.iterdir():  # the connections testinfra leaves open for 60 s
            if master.is_socket():
                subprocess.run(["ssh", "-S", str(master), "-O", "exit", "x"], capture_output=True)
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(self.shared, ignore_errors=True)


@pytest.fixture
def sshd(tmp_path: Path) -> Iterator[Sshd]:
    if not SSHD.exists():
        pytest.skip(f"{SSHD} is absent: make sshd installs Debian's openssh-server")
    made = Sshd(tmp_path / "ssh")
    try:
        yield made
    finally:
        made.stop()


def plain_pytest(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess, dict]:
    """`pytest checks/test_host.py ...` from the checkout; (run, JUnit by host and test)."""
    xml = tmp_path / "hosts.xml"
    pythonpath = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", str(MODULE), f"--junitxml={xml}", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": pythonpath},
        timeout=300,
    )
    found: dict[str, dict[str, tuple[str, str]]] = {}
    if xml.exists():
        for case in ET.parse(xml).iter("testcase"):
            name, _, host = case.get("name", "").partition("[")
            got = next((c for c in case if c.tag in ("failure", "error", "skipped")), None)
            outcome = ("passed", "") if got is None else (got.tag, got.get("message", ""))
            found.setdefault(host.rstrip("]"), {})[name] = outcome
    return done, found


def passed_all(tests: dict[str, tuple[str, str]]) -> bool:
    return sorted(tests) == sorted(ALL_TESTS) and {o for o, _ in tests.values()} == {"passed"}


@pytest.mark.parametrize("backend", ["lxd", "incus"])
def test_one_run_over_ssh_tells_a_healthy_host_from_one_whose_daemon_is_down(
    sshd: Sshd, spares, tmp_path: Path, backend: str
):
    b = get_backend(backend)
    stopped = spares.get(backend, "stopped")
    healthy = sshd.host("healthy", {})  # the main daemon, only read
    broken = sshd.host("broken", stopped.env)
    done, by_host = plain_pytest(
        tmp_path,
        f"--lab-backend={backend}",
        f"--hosts={healthy},{broken}",
        f"--ssh-config={sshd.config}",
        "-n",
        "2",
    )
    report = done.stdout + done.stderr
    assert done.returncode == 1, report
    assert "created: 2/2 workers" in done.stdout, report  # in parallel, as asked
    assert passed_all(by_host[healthy]), by_host
    down = by_host[broken]
    assert sorted(down) == sorted(ALL_TESTS), by_host
    assert down["test_kernel"] == down["test_daemon_installed"] == ("passed", "")
    assert down["test_socket_usable"] == (
        "failure",
        f"no socket at {stopped.socket}: the daemon is not running\n"
        f"fix: sudo snaplab host setup --backend {backend}",
    )
    assert down["test_daemon_answers"] == (
        "failure",
        f"{b.title} is not running (no socket at {stopped.socket}): "
        f"run `sudo snaplab host setup --backend {backend}`",
    )
    for test in ("test_storage_pool", "test_root_disk", "test_lab_image"):
        assert down[test] == ("skipped", "skipped: the API cannot be reached (see above)")
    assert "Traceback" not in report


def test_each_broken_host_fails_its_own_check_with_its_fix(
    sshd: Sshd, spares, nogroup_user: str, tmp_path: Path
):
    """No pool, no image, a user outside the lxd group: what doctor finds, host by host."""
    bare, noimage, full = (spares.get("lxd", kind) for kind in ("bare", "noimage", "full"))
    hosts = {
        "nopool": sshd.host("nopool", bare.env),
        "noimage": sshd.host("noimage", noimage.env),
        "denied": sshd.host("denied", full.env, pam=True),
    }
    as_user = hosts["denied"].replace("ssh://", f"ssh://{nogroup_user}@")
    done, by_host = plain_pytest(
        tmp_path,
        "--lab-backend=lxd",
        f"--hosts={hosts['nopool']},{hosts['noimage']},{as_user}",
        f"--ssh-config={sshd.config}",
        "-n",
        "3",
    )
    report = done.stdout + done.stderr
    assert done.returncode == 1, report
    setup = "sudo snaplab host setup --backend lxd"
    failed = {
        host: {t: m for t, (o, m) in by_host[spec].items() if o == "failure"}
        for host, spec in hosts.items()
    }
    assert failed["nopool"] == {
        "test_storage_pool": f"no storage pool\nfix: {setup}  (preseeds a dir pool)",
        "test_root_disk": "the default profile has no root disk\n"
        "fix: lxc profile device add default root disk path=/ pool=default",
        "test_lab_image": f"no image with alias snaplab-lab\nfix: {setup}  (builds it offline)",
    }, report
    assert failed["noimage"] == {
        "test_lab_image": f"no image with alias snaplab-lab\nfix: {setup}  (builds it offline)",
    }, report
    assert failed["denied"] == {
        "test_socket_usable": f"user {nogroup_user} may not use {full.socket}\n"
        f"fix: sudo usermod -aG lxd {nogroup_user}  (then log in again)",
        "test_daemon_answers": f"user {nogroup_user} may not use {full.socket}: run "
        f"`sudo usermod -aG lxd {nogroup_user}`, then log out and in again (or `newgrp lxd`)",
    }, report
    assert "Traceback" not in report


@pytest.mark.parametrize("backend", ["lxd", "incus"])
def test_local_host_passes_every_check(monkeypatch, tmp_path: Path, backend: str):
    monkeypatch.delenv(get_backend(backend).env_dir, raising=False)  # the main daemon
    done, by_host = plain_pytest(tmp_path, f"--lab-backend={backend}", "--hosts=local://")
    assert done.returncode == 0, done.stdout + done.stderr
    assert passed_all(by_host["local"]), by_host
    # the dir pool passes with its warning, as doctor's WARN
    assert "HostWarning: default (dir): on dir a snapshot copies" in done.stdout
