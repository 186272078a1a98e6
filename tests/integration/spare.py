"""Spare LXD/Incus daemons beside the main ones, to break a host in a throwaway way.

A spare runs the same daemon binary with its own directory (LXD_DIR / INCUS_DIR),
which snaplab and the CLIs honour, so a test can stop, kill or half-initialise a
daemon without touching /var/lib/lxd or /var/lib/incus. `destroy` shuts it down,
unmounts whatever it left under its directory and removes the directory.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import yaml

from snaplab.backends import Backend
from snaplab.host import image
from snaplab.host.preseed import preseed as snaplab_preseed

ROOT = Path(__file__).resolve().parents[2]  # the checkout: `python -m snaplab` runs it
PROBE_PREFIX = "snaplab-doctor-"
T = TypeVar("T")


class SpareError(Exception):
    """A spare daemon could not be started or initialised."""


@dataclass
class Spare:
    backend: Backend
    dir: Path
    log: Path
    proc: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def env(self) -> dict[str, str]:
        """What points snaplab and the CLIs at this daemon instead of the main one."""
        return {self.backend.env_dir: str(self.dir)}

    @property
    def socket(self) -> Path:
        return self.dir / "unix.socket"

    def _run(
        self, argv: list[str], stdin: str | None = None, check: bool = True, timeout: float = 120
    ) -> subprocess.CompletedProcess:
        done = subprocess.run(
            argv,
            input=stdin,
            capture_output=True,
            text=True,
            env={**os.environ, **self.env},
            timeout=timeout,
            cwd="/tmp",
        )
        if check and done.returncode != 0:
            raise SpareError(
                f"{' '.join(argv)} ({self.dir}): rc={done.returncode} "
                f"{done.stderr.strip() or done.stdout.strip()}"
            )
        return done

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """The backend's client (`lxc` / `incus`) against this spare."""
        return self._run([self.backend.cli, *args], check=check)

    # -- life cycle ---------------------------------------------------------

    def start(self, timeout: int = 60) -> Spare:
        self.dir.mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                list(self.backend.daemon),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, **self.env},
                cwd="/tmp",
                start_new_session=True,
            )  # a signal meant for a test's child never hits it
        try:
            self._run([*self.backend.waitready, str(timeout)], timeout=timeout + 30)
        except (SpareError, subprocess.TimeoutExpired) as e:
            raise SpareError(
                f"{self.backend.title} spare did not become ready: {e}\n{self.log_tail()}"
            ) from None
        return self

    def preseed(self, doc: str) -> None:
        self._run(list(self.backend.preseed), stdin=doc)

    def import_image(self, tarball: Path) -> None:
        self.cli("image", "import", str(tarball), "--alias", image.ALIAS)

    def listen_https(self) -> str:
        """Listen on a free loopback port (never another address); return the URL."""
        self.cli("config", "set", "core.https_address", free_address())
        return self.url

    @property
    def url(self) -> str:
        address = self.cli("config", "get", "core.https_address").stdout.strip()
        return f"https://{address}"

    def trust_token(self, name: str) -> str:
        """A one-use trust token (LXD 5.0: `--name NAME`; Incus: a positional NAME)."""
        args = ("--name", name) if self.backend.name == "lxd" else (name,)
        return self.cli("config", "trust", "add", *args).stdout.strip().splitlines()[-1]

    def shutdown(self, timeout: int = 30) -> None:
        """Stop the daemon the way an operator would; kill it if it will not go."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                self._run([*self.backend.shutdown, str(timeout)], check=False, timeout=timeout + 30)
            except subprocess.TimeoutExpired:
                pass
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)
        self.proc = None

    def kill(self) -> None:
        """Kill -9: the daemon dies without removing its socket."""
        assert self.proc is not None and self.proc.poll() is None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)
        self.proc = None

    def destroy(self) -> None:
        try:
            self.shutdown()
        finally:
            unmount_under(self.dir)
            shutil.rmtree(self.dir, ignore_errors=True)

    # -- questions ----------------------------------------------------------

    def instances(self, prefix: str = "") -> list[str]:
        out = self.cli("list", "--format", "csv", "--columns", "n").stdout
        return [n for n in out.split() if n.startswith(prefix)]

    def state(self, name: str) -> str:
        out = self.cli("list", "--format", "csv", "--columns", "ns").stdout
        for line in out.splitlines():
            got, _, status = line.partition(",")
            if got == name:
                return status
        return ""

    def delete(self, name: str) -> None:
        self.cli("delete", "--force", name, check=False)

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def free_address() -> str:
    """A free port on 127.0.0.1: the only address these machines may listen on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{probe.getsockname()[1]}"


def unmount_under(path: Path) -> None:
    """A daemon leaves tmpfs mounts (shmounts, devlxd/guestapi) when it dies: drop them."""
    prefix = str(path.resolve()).rstrip("/") + "/"
    with open("/proc/mounts") as f:
        points = [line.split()[1].replace("\\040", " ") for line in f]
    for point in sorted((p for p in points if (p + "/").startswith(prefix)), key=len, reverse=True):
        subprocess.run(["umount", "-l", point], capture_output=True)


def preseed(*, profile: bool = True) -> str:
    """snaplab's own preseed (a dir pool and a root disk); without the profile on demand."""
    doc = yaml.safe_load(snaplab_preseed(False))
    if not profile:
        doc.pop("profiles")
    return yaml.safe_dump(doc)


def cli_argv(*args: str) -> list[str]:
    """The same command line the `snaplab` test helper runs as root."""
    return [sys.executable, "-m", "snaplab", *args]


def with_default_sigint(argv: list[str]) -> list[str]:
    """`argv` started with SIGINT at its default disposition, for a test that sends it one.

    Whoever started the suite decides what this process inherited: from a background shell
    (`bash .ci/run &`) SIGINT comes ignored, an ignored signal stays ignored across exec,
    and Python then installs no KeyboardInterrupt handler, so the child would never see
    the Ctrl-C. coreutils' env resets it in the child itself, between fork and exec.
    """
    return ["env", "--default-signal=INT", *argv]


def cli_env(extra: dict[str, str]) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), **extra}


def wait_for(predicate: Callable[[], T | None], timeout: float, step: float = 0.05) -> T | None:
    """Poll until `predicate()` is truthy; return its value, or None on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return None
