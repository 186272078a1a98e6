"""A daemon reached over HTTPS with a client certificate.

TLS verification is never switched off: without a pinned server certificate
the system CA store is used, and a mismatch is an error the user sees.
"""

from __future__ import annotations

from pylxd import Client
from pylxd.exceptions import ClientConnectionFailed
from requests.exceptions import SSLError

from snaplab.backends import Backend
from snaplab.errors import ExitCode, SnaplabError
from snaplab.transports import Target


def open_client(backend: Backend, target: Target) -> Client:
    assert target.url is not None
    cert = (str(target.cert), str(target.key)) if target.cert and target.key else None
    verify: bool | str = str(target.server_cert) if target.server_cert else True
    try:
        return Client(
            endpoint=target.url, cert=cert, verify=verify, project=target.project, timeout=60
        )
    except (ClientConnectionFailed, SSLError) as e:
        text = str(e)
        if "certificate" in text.lower() or isinstance(e, SSLError):
            raise SnaplabError(
                f"{target.url} presented a certificate that does not match the pinned one: "
                "re-add the remote if the server was rebuilt",
                ExitCode.PERMISSION,
            ) from None
        raise SnaplabError(
            f"{backend.title} at {target.url} is unreachable ({text or 'no reply'})",
            ExitCode.DAEMON_DOWN,
        ) from None
