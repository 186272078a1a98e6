"""The book's snapshot server (chapters 9 and 10), as a second daemon on this machine.

The book has two hosts, `lxd-primary` and `lxd-snapshot` (Incus: `incus-primary`,
`incus-snapshot`). Here both are daemons on one machine: the main one in
/var/lib/lxd (/var/lib/incus) is the primary, and a second daemon of the same
kind in its own directory (SNAPSHOT_SERVER.homes, snaplab/daemons/snapshot_server.py) is
the snapshot server. It listens on 127.0.0.1:8445 for LXD, :8446 for Incus
and has a `dir` pool and a root disk in its default profile; it needs no image.
The primary listens on `Backend.listen` too, because `lxc copy` to a remote
needs the source to be reachable over the network.

Working "on the snapshot server" is the same client with the daemon's
directory in the environment, as lxdadmin (incusadmin):

    LXD_DIR=/var/lib/lxd-snapshot lxc config trust add --name lxd-primary   # prints a token
    LXD_DIR=/var/lib/lxd-snapshot lxc list          # the copies, STOPPED
    LXD_DIR=/var/lib/lxd-snapshot lxc config set rockylinux-test-9 boot.autostart 0

    INCUS_DIR=/var/lib/incus-snapshot incus config trust add incus-primary
    INCUS_DIR=/var/lib/incus-snapshot incus list

and everything the book runs "on the primary" is typed as usual, without it:

    lxc remote add lxd-snapshot TOKEN
    lxc copy rockylinux-test-9/rockylinux-test-9-snap1 lxd-snapshot:rockylinux-test-9
    lxc copy --refresh rockylinux-test-9 lxd-snapshot:rockylinux-test-9

The book's /etc/hosts and firewalld steps have no part here: the token names
127.0.0.1 and the port, and nothing but loopback is reachable anyway.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import NamedTuple

from pylxd import Client

from snaplab.backends import Backend
from snaplab.daemons.snapshot_server import SNAPSHOT_SERVER as SERVER
from snaplab.errors import ExitCode
from snaplab.host import daemon
from snaplab.host.preseed import preseed
from snaplab.i18n import Text, as_text, both
from snaplab.transports.local import socket_problem


def key(backend: Backend) -> str:
    """Its pid file and log under /run/snaplab and /var/log/snaplab: lxd-snapshot, ..."""
    return SERVER.remote(backend)


def answering(backend: Backend) -> bool:
    return daemon.answering(backend, SERVER.home(backend))


def start(backend: Backend, timeout: int = 60) -> bool:
    return daemon.start(backend, timeout, home=SERVER.home(backend), key=key(backend))


def stop(backend: Backend, timeout: int = 60) -> bool:
    return daemon.stop(backend, timeout, home=SERVER.home(backend), key=key(backend))


def socket(backend: Backend) -> Path:
    return daemon.socket(backend, SERVER.home(backend))


def client(backend: Backend) -> Client:
    return Client(endpoint=str(socket(backend)), timeout=30)


def forget(backend: Backend, conf: Path) -> None:
    """Untrust the client whose config directory this was (a guide capture's, a test's): its
    certificate by fingerprint, never another client of the same trust name."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    try:
        cert = x509.load_pem_x509_certificate((conf / "client.crt").read_bytes())
    except (OSError, ValueError):
        return  # this client never made a certificate: nothing was trusted
    fingerprint = cert.fingerprint(hashes.SHA256()).hex()
    try:
        client(backend).api.certificates[fingerprint].delete()
    except Exception:  # noqa: BLE001 - not trusted, or the server is gone: nothing to undo
        pass


def run(backend: Backend, argv: list[str], stdin: str | None = None) -> str:
    """A command (the client, `lxd init`...) pointed at the snapshot server."""
    done = subprocess.run(
        argv,
        input=stdin,
        capture_output=True,
        text=True,
        env=daemon.env(backend, SERVER.home(backend)),
        cwd="/",
    )
    if done.returncode != 0:
        raise subprocess.CalledProcessError(done.returncode, argv, done.stdout, done.stderr)
    return done.stdout


def cli(backend: Backend, *args: str) -> str:
    """The backend's client against the snapshot server, as the learner types it."""
    return run(backend, [backend.cli, *args])


def init(backend: Backend) -> None:
    """snaplab's preseed: a dir pool and a root disk, whatever --storage the primary has."""
    run(backend, list(backend.preseed), stdin=preseed(False, "dir"))


def _root_pool(c: Client) -> str | None:
    devices = c.api.profiles["default"].get().json()["metadata"]["devices"]
    for d in devices.values():
        if d.get("type") == "disk" and d.get("path") == "/" and d.get("pool"):
            return str(d["pool"])
    return None


def initialised(backend: Backend) -> bool:
    return answering(backend) and _root_pool(client(backend)) is not None


def address(backend: Backend) -> str:
    if not answering(backend):
        return ""
    return str(client(backend).host_info["config"].get("core.https_address", ""))


def listen(backend: Backend) -> None:
    client(backend).api.patch(json={"config": {"core.https_address": SERVER.listen(backend)}})


def primary_address(backend: Backend) -> str:
    """The primary's core.https_address ("" when it does not listen or does not answer)."""
    from snaplab.transports import Target, connect

    if not daemon.answering(backend):
        return ""
    c = connect(Target(backend.name)).client
    return str(c.host_info["config"].get("core.https_address", ""))


def primary_listen(backend: Backend) -> None:
    """Only ever from unset: an address someone chose (a class, by hand) is theirs."""
    from snaplab.transports import Target, connect

    c = connect(Target(backend.name)).client
    if not c.host_info["config"].get("core.https_address"):
        c.api.patch(json={"config": {"core.https_address": backend.listen}})


class Status(NamedTuple):
    exists: bool  # its directory holds a daemon's database: it was set up once
    answering: bool  # its socket answers this user
    detail: Text  # what is wrong, or where it listens and on which pool


def status(backend: Backend) -> Status:
    """For doctor: is the snapshot server there, answering, listening, initialised?

    Works as the book's user (the socket's group) as well as root; never raises.
    """
    where, wanted = SERVER.home(backend), SERVER.listen(backend)
    setup = f"`sudo snaplab host setup --backend {backend.name} {SERVER.setup}`"
    exists = (where / "database").exists() or (where / "unix.socket").exists()
    if not exists:
        return Status(
            False,
            False,
            both(
                f"no snapshot server in {where}: run {setup}",
                f"{where}에 스냅샷 서버가 없습니다: {setup}를 실행하세요",
            ),
        )
    problem = socket_problem(backend, daemon.socket(backend, where))
    if problem is not None and problem.code == ExitCode.DAEMON_DOWN:
        return Status(
            True,
            False,
            both(
                f"the snapshot server in {where} is not running: run {setup}",
                f"{where}의 스냅샷 서버가 실행 중이 아닙니다: {setup}를 실행하세요",
            ),
        )
    if problem is not None:  # this user may not use the socket: the group's fix
        return Status(True, False, as_text(problem.message))
    try:
        c = client(backend)
        listens = str(c.host_info["config"].get("core.https_address", ""))
        pool = _root_pool(c)
    except Exception as e:  # noqa: BLE001 - doctor reports, never crashes
        return Status(
            True,
            False,
            both(f"{where}: the daemon did not answer: {e}", f"{where}: 데몬이 응답하지 않음: {e}"),
        )
    if pool is None:
        return Status(
            True,
            True,
            both(
                f"{where} answers but has no root disk in its default profile: run {setup}",
                f"{where}은(는) 응답하지만 기본 프로필에 루트 디스크가 없습니다: {setup}를 실행하세요",
            ),
        )
    if listens != wanted:
        return Status(
            True,
            True,
            both(
                f"{where} listens on {listens or 'nothing'}, not {wanted}: run {setup}",
                f"{where}은(는) {wanted}이 아니라 {listens or '(없음)'}에서 "
                f"연결을 받습니다: {setup}를 실행하세요",
            ),
        )
    return Status(
        True,
        True,
        both(
            f"{where} answers, listens on {listens}, pool {pool} "
            f"(remote {SERVER.remote(backend)}:)",
            f"{where} 응답, {listens}에서 연결 받음, 풀 {pool} "
            f"(원격 이름 {SERVER.remote(backend)}:)",
        ),
    )
