"""What the doctor reads from a host, through a testinfra `host`: this machine or one over ssh.

A host may run a second daemon beside the first (LXD_DIR / INCUS_DIR), so the daemon's
directory comes from that host's environment, never from ours. The daemon is asked through
its own client (`lxc query local:/1.0`), so the host needs nothing but a shell, coreutils,
`ss` and the client it already has: no Python, no snaplab, no open port.
"""

from __future__ import annotations

import json
import posixpath
from typing import Any

from snaplab.backends import Backend
from snaplab.errors import ExitCode, SnaplabError
from snaplab.i18n import both, text

# Where Debian puts the client: the daemon can still be asked when PATH lacks it (the
# `installed` check is the one that says so).
CLIENT_DIRS = ("/usr/bin", "/usr/local/bin")
MISSING, DENIED, REFUSED, OK = "missing", "denied", "refused", "ok"


def socket_path(host: Any, backend: Backend) -> str:
    directory = host.environment().get(backend.env_dir) or str(backend.var_dir)
    return posixpath.join(posixpath.normpath(directory), "unix.socket")


def socket_state(host: Any, path: str) -> str:
    """MISSING, DENIED (this user may not use it), REFUSED (nobody listens: a daemon killed
    outright leaves its socket behind) or OK."""
    if not host.file(path).exists:
        return MISSING
    if host.run_test("test -r %s -a -w %s", path, path).rc != 0:
        return DENIED
    if not listening(host, path):
        return REFUSED
    return OK


def listening(host: Any, path: str) -> bool:
    """Whether a process listens on the unix socket at `path`.

    Not `host.socket(...).is_listening`: testinfra counts a socket that is bound and never
    listened on (state UNCONN) as listening, and connecting to one is refused.
    """
    out = host.check_output("%s --numeric --listening --unix", host.find_command("ss"))
    return any(
        cols[1:2] == ["LISTEN"] and cols[4:5] == [path]
        for cols in (line.split() for line in out.splitlines())
    )


def unreachable(host: Any, backend: Backend, path: str, state: str) -> SnaplabError:
    """Why the daemon cannot be asked, in the words `snaplab` uses everywhere else."""
    where = {"title": backend.title, "path": path, "backend": backend.name, "group": backend.group}
    if state == MISSING:
        return SnaplabError(text("daemon_down", **where), ExitCode.DAEMON_DOWN)
    if state == DENIED:
        return SnaplabError(
            text("socket_denied", user=host.user().name, **where), ExitCode.PERMISSION
        )
    return SnaplabError(text("daemon_refuses", **where), ExitCode.DAEMON_DOWN)


def query(host: Any, backend: Backend, path: str, project: str = "default") -> Any:
    """GET through the host's client; what it prints is the response's metadata."""
    try:
        client = host.find_command(backend.cli, extrapaths=CLIENT_DIRS)
    except ValueError:
        raise SnaplabError(
            both(
                f"no {backend.cli} on the host to ask {backend.title} with",
                f"호스트에 {backend.title}에게 물어볼 {backend.cli}이(가) 없습니다",
            ),
            ExitCode.DAEMON_DOWN,
        ) from None
    sep = "&" if "?" in path else "?"
    done = host.run("%s query %s", client, f"local:{path}{sep}project={project}")
    if done.rc != 0:
        why = done.stderr.strip().removeprefix("Error: ") or "no reply"
        setup = f"`sudo snaplab host setup --backend {backend.name}`"
        raise SnaplabError(
            both(
                f"{backend.title} did not answer {path} ({why}): run {setup}",
                f"{backend.title}이(가) {path}에 응답하지 않았습니다({why}): {setup}를 실행하세요",
            ),
            ExitCode.DAEMON_DOWN,
        )
    # Incus prints nothing for an empty list (a daemon with no pool yet)
    return json.loads(done.stdout) if done.stdout.strip() else []


def info(host: Any, backend: Backend, project: str = "default") -> dict[str, Any]:
    """The daemon's /1.0, once its socket is known to be usable, and of the right kind."""
    path = socket_path(host, backend)
    state = socket_state(host, path)
    if state != OK:
        raise unreachable(host, backend, path, state)
    found: dict[str, Any] = query(host, backend, "/1.0", project)
    server = found.get("environment", {}).get("server", "lxd")
    if server != backend.name:
        raise SnaplabError(
            text("wrong_backend", where=path, server=server, backend=backend.name),
            ExitCode.USAGE,
        )
    return found
