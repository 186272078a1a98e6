"""Where the daemon is: its local unix socket, or an HTTPS remote.

`connect` is the only place that turns "backend + where" into a pylxd client.
The server kind is read back from the API (`environment.server`) so a caller
that asked for LXD but reached Incus is told, not silently mis-served.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from snaplab.backends import Backend, get_backend
from snaplab.errors import ExitCode, SnaplabError
from snaplab.i18n import text

if TYPE_CHECKING:
    import requests
    from pylxd import Client

# Every request snaplab itself sends carries this query word: the daemon's request log then
# tells snaplab's own reads (the recorder's probes, check's look) from a learner's, which a
# lab records as evidence (`lxc delete` sends GET /1.0/instances/NAME, and so does a probe).
# The daemons ignore a query key they do not know.
OWN_QUERY = "snaplab-own"

TRANSPORTS = {
    "unix": "snaplab.transports.local.open_client",
    "https": "snaplab.transports.https.open_client",
}


@dataclass(frozen=True)
class Target:
    backend: str = "lxd"
    url: str | None = None  # None: the backend's local socket
    project: str = "default"
    cert: Path | None = None  # client certificate (HTTPS only)
    key: Path | None = None
    server_cert: Path | None = None  # pinned server certificate (HTTPS only)

    @property
    def scheme(self) -> str:
        return "https" if self.url and self.url.startswith("https://") else "unix"


@dataclass
class Connection:
    client: Client
    backend: Backend
    target: Target

    @property
    def server(self) -> str:
        return str(self.client.host_info["environment"].get("server", "lxd"))

    @property
    def version(self) -> str:
        return str(self.client.host_info["environment"].get("server_version", "?"))


def proxies(target: Target) -> dict[str, str]:
    """The environment's proxies for this daemon, read once: requests would read them again
    at every request by walking os.environ, which fails with a KeyError when another thread
    removes a variable meanwhile. pytest does, for each check (PYTEST_CURRENT_TEST), while a
    class's reads run beside its checks. A unix socket has no proxy."""
    import requests.utils

    if not target.url:
        return {}
    while True:  # read once, but whole: a variable removed while it was read reads again
        try:
            return dict(requests.utils.get_environ_proxies(target.url))
        except KeyError:
            continue


def prepared(session: requests.Session, target: Target) -> requests.Session:
    """The session a transport hands to pylxd's Client, ready before the Client's first
    request (it asks the daemon as it is made): snaplab's own word on every request, and
    the environment read once. Set after it, that first request still walked os.environ
    and failed now and then beside pytest (CI, `test_transports`)."""
    session.params = {OWN_QUERY: "1"}  # a session made for this client: nothing to keep
    session.proxies = proxies(target)
    session.trust_env = False
    return session


def connect(target: Target) -> Connection:
    backend = get_backend(target.backend)
    module, name = TRANSPORTS[target.scheme].rsplit(".", 1)
    opener: Any = getattr(importlib.import_module(module), name)
    client = opener(backend, target)  # on a session made ready by `prepared`
    conn = Connection(client, backend, target)
    if conn.server != backend.name:
        raise SnaplabError(
            text(
                "wrong_backend",
                where=target.url or backend.socket,
                server=conn.server,
                backend=backend.name,
            ),
            ExitCode.USAGE,
        )
    return conn
