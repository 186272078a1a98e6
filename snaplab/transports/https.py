"""A daemon reached over HTTPS with a client certificate and a pinned server certificate.

The one place that opens HTTPS clients. TLS verification is never switched off,
and the trust decision is the pin:

- REST requests go through `PinnedAdapter`: the server's certificate must be,
  byte for byte, the pinned one (its SHA-256 over the DER encoding, which urllib3
  checks on every new connection before a request is sent). CA chains and host
  names are not consulted: LXD and Incus certificates are self-signed and name
  the server's host name (here `vm`, 127.0.0.1 and ::1), so a CA check would
  fail for any other name the remote is reached by, while the fingerprint says
  exactly which server this is.
- The events websocket (ws4py, used by the recorder) cannot take a fingerprint:
  it verifies against the pinned certificate as its only trust anchor, which
  also needs the URL's host in the certificate (true for 127.0.0.1).

A target that names a URL without a pin is looked up among the stored remotes
(`snaplab remote add`); a URL that was never added is refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import requests
from pylxd import Client
from pylxd.exceptions import ClientConnectionFailed
from requests.adapters import HTTPAdapter
from requests.exceptions import SSLError

from snaplab import remotes
from snaplab.backends import Backend
from snaplab.errors import ExitCode, SnaplabError
from snaplab.i18n import both
from snaplab.transports import Target, prepared


class PinnedAdapter(HTTPAdapter):
    """requests adapter whose trust decision is the pinned certificate's fingerprint.

    `cert_verify` is where requests configures verification for each request: we
    switch off the CA-chain and host-name checks (which cannot work for a self-signed
    server certificate reached by another name) and set urllib3's
    `assert_fingerprint` instead, so a connection to any other certificate fails
    with an SSLError before a byte of the request is sent.
    """

    def __init__(self, pin: str) -> None:
        self.pin = pin
        super().__init__()

    def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
        super().cert_verify(conn, url, False, cert)
        conn.assert_fingerprint = self.pin


def open_session(url: str, pin_pem: str, cert: tuple[Path, Path] | None) -> requests.Session:
    """A requests session for `url` that trusts only the certificate `pin_pem`."""
    session = requests.Session()
    session.mount("https://", PinnedAdapter(remotes.fingerprint(pin_pem)))
    session.verify = True  # never consulted: PinnedAdapter decides
    if cert:
        session.cert = (str(cert[0]), str(cert[1]))
    return session


def _complete(target: Target) -> tuple[Target, str | None]:
    """Fill in the stored remote's client certificate and pin; the remote's name, if any."""
    assert target.url is not None
    if target.server_cert and target.cert and target.key:
        return target, None
    remote = remotes.find(target.url)
    crt, key = remotes.client_cert()
    filled = Target(
        backend=target.backend,
        url=remote.url,
        project=target.project,
        cert=crt,
        key=key,
        server_cert=Path(remote.server_cert),
    )
    return filled, remote.name


def open_client(backend: Backend, target: Target) -> Client:
    target, name = _complete(target)
    url = target.url
    assert url and target.server_cert and target.cert and target.key
    try:
        pin_pem = target.server_cert.read_text()
        pinned = remotes.fingerprint(pin_pem)
    except (OSError, ValueError) as e:
        again = f"`snaplab remote remove {name or 'NAME'}`"
        raise SnaplabError(
            both(
                f"cannot read the pinned certificate {target.server_cert} ({e}): "
                f"{again} and add it again",
                f"고정된 인증서 {target.server_cert}을(를) 읽을 수 없습니다({e}): "
                f"{again}를 실행한 뒤 다시 추가하세요",
            ),
            ExitCode.PERMISSION,
        ) from None
    cert = (target.cert, target.key)
    session = prepared(open_session(url, pin_pem, cert), target)
    try:
        client = Client(
            endpoint=url,
            cert=(str(cert[0]), str(cert[1])),
            verify=str(target.server_cert),
            session=session,
            project=target.project,
            timeout=60,
        )
    except (ClientConnectionFailed, SSLError, requests.ConnectionError) as e:
        raise _explain(backend, url, name, pinned, e) from None
    # the events websocket: the pin as the only trust anchor (see the module docstring)
    client.ssl_options = {
        "certfile": str(cert[0]),
        "keyfile": str(cert[1]),
        "ca_certs": str(target.server_cert),
        "cert_reqs": "required",
    }
    return client


def _explain(
    backend: Backend, url: str, name: str | None, pinned: str, error: Exception
) -> SnaplabError:
    text = str(error)
    if isinstance(error, SSLError) or "ssl" in text.lower() or "certificate" in text.lower():
        try:
            presented = remotes.fingerprint(remotes.fetch_certificate(url))
        except SnaplabError as e:
            return e
        if presented != pinned:
            return remotes.mismatch(url, name, presented, pinned)
        return SnaplabError(
            both(
                f"TLS with {url} failed ({text})", f"{url}과(와)의 TLS 연결에 실패했습니다({text})"
            ),
            ExitCode.PERMISSION,
        )
    return SnaplabError(
        both(
            f"{backend.title} at {url} is unreachable ({text or 'no reply'})",
            f"{url}의 {backend.title}에 연결할 수 없습니다({text or '응답 없음'})",
        ),
        ExitCode.DAEMON_DOWN,
    )
