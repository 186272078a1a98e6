"""A daemon on this machine, through its unix socket.

The socket is examined before pylxd touches it, because pylxd reports a
missing daemon and a refused permission with the same exception.
"""

from __future__ import annotations

import getpass
import os
import socket as pysocket
from pathlib import Path

from pylxd import Client
from pylxd.client import DEFAULT_SCHEME, get_session_for_url
from pylxd.exceptions import ClientConnectionFailed

from snaplab.backends import Backend
from snaplab.errors import ExitCode, SnaplabError
from snaplab.i18n import both, text
from snaplab.transports import Target, prepared


def socket_problem(backend: Backend, socket: Path | None = None) -> SnaplabError | None:
    """Why this user cannot talk to the daemon, or None when it can.

    `socket`: another daemon of the same kind (the snapshot server) instead of the main one.
    """
    path = socket or backend.socket
    where = {"title": backend.title, "path": path, "backend": backend.name, "group": backend.group}
    if not path.exists():
        return SnaplabError(text("daemon_down", **where), ExitCode.DAEMON_DOWN)
    denied = SnaplabError(
        text("socket_denied", user=getpass.getuser(), **where), ExitCode.PERMISSION
    )
    if not os.access(path, os.R_OK | os.W_OK):
        return denied
    probe = pysocket.socket(pysocket.AF_UNIX, pysocket.SOCK_STREAM)
    probe.settimeout(2)
    try:
        probe.connect(str(path))
    except PermissionError:
        return denied
    except OSError:
        return SnaplabError(text("daemon_refuses", **where), ExitCode.DAEMON_DOWN)
    finally:
        probe.close()
    return None


def open_client(backend: Backend, target: Target) -> Client:
    problem = socket_problem(backend)
    if problem:
        raise problem
    try:
        session = prepared(get_session_for_url(DEFAULT_SCHEME), target)
        return Client(
            endpoint=str(backend.socket), project=target.project, timeout=60, session=session
        )
    except ClientConnectionFailed as e:
        setup = f"`sudo snaplab host setup --backend {backend.name}`"
        raise SnaplabError(
            both(
                f"{backend.title} did not answer on {backend.socket} ({e or 'no reply'}): "
                f"run {setup}",
                f"{backend.title}이(가) {backend.socket}에서 응답하지 않았습니다"
                f"({e or '응답 없음'}): {setup}를 실행하세요",
            ),
            ExitCode.DAEMON_DOWN,
        ) from None
