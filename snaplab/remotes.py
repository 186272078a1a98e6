"""Stored HTTPS remotes: trust tokens, this user's client certificate, pinned server certificates.

Everything lives in the user's config directory (`~/.config/snaplab/`, or
`$XDG_CONFIG_HOME/snaplab/`): `client.crt` / `client.key` (made once, key mode
0600), `servercerts/NAME.crt` (the pinned server certificate) and `remotes.yaml`.

A server certificate is pinned only when its SHA-256 fingerprint equals the one
carried by the trust token the server issued; a secret that is not such a token
is refused, since nothing would then vouch for the certificate.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import hashlib
import json
import os
import shutil
import socket
import ssl
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from snaplab.backends import BACKENDS, Backend, get_backend, trust_commands
from snaplab.errors import ExitCode, SnaplabError
from snaplab.i18n import Text, both

DEFAULT_PORT = 8443
_URLSAFE = str.maketrans("-_", "+/")  # either base64 alphabet


class CertificateMismatch(SnaplabError):
    """The server presented a certificate other than the one pinned or vouched for."""

    def __init__(self, message: Text) -> None:
        super().__init__(message, ExitCode.PERMISSION)


@dataclass(frozen=True)
class Token:
    """What `lxc config trust add` / `incus config trust add` prints, decoded."""

    client_name: str
    fingerprint: str  # the server certificate's SHA-256, lowercase hex
    addresses: tuple[str, ...]
    secret: str
    expires_at: str = ""


@dataclass(frozen=True)
class Remote:
    name: str
    url: str
    backend: str
    server_cert: str  # path of the pinned certificate (PEM)
    project: str = "default"


# -- pure helpers -------------------------------------------------------------


def decode_token(raw: str) -> Token | None:
    """The token's fields, or None when `raw` is not a trust token (e.g. a bare password)."""
    text = raw.strip()
    try:
        padded = text.translate(_URLSAFE) + "=" * (-len(text) % 4)
        doc = json.loads(base64.b64decode(padded, validate=True))
    except (binascii.Error, ValueError):
        return None
    if not isinstance(doc, dict):
        return None
    fingerprint, secret = doc.get("fingerprint"), doc.get("secret")
    if not isinstance(fingerprint, str) or not isinstance(secret, str) or not secret:
        return None
    try:
        fingerprint = normalize_fingerprint(fingerprint)
    except ValueError:
        return None
    return Token(
        client_name=str(doc.get("client_name", "")),
        fingerprint=fingerprint,
        addresses=tuple(str(a) for a in doc.get("addresses") or ()),
        secret=secret,
        expires_at=str(doc.get("expires_at", "")),
    )


def normalize_fingerprint(value: str) -> str:
    """`AB:CD:…` or `abcd…` -> 64 lowercase hex digits; anything else is a ValueError."""
    hexed = value.replace(":", "").strip().lower()
    if len(hexed) != 64 or any(c not in "0123456789abcdef" for c in hexed):
        raise ValueError(f"not a SHA-256 fingerprint: {value!r}")
    return hexed


def fingerprint(pem: str | bytes) -> str:
    """SHA-256 of a certificate's DER encoding, lowercase hex (what tokens and `lxc` show)."""
    text = pem.decode() if isinstance(pem, bytes) else pem
    return hashlib.sha256(ssl.PEM_cert_to_DER_cert(text)).hexdigest()


def check_vouched(url: str, presented_pem: str, token: Token) -> None:
    """Pin only what the token vouches for: refuse any other certificate."""
    got = fingerprint(presented_pem)
    if got != token.fingerprint:
        raise CertificateMismatch(
            both(
                f"the server at {url} presented certificate SHA256 {got}, but the token was "
                f"issued by SHA256 {token.fingerprint}: not trusting it (is {url} the server "
                "that made the token?)",
                f"{url}의 서버가 인증서 SHA256 {got}을(를) 제시했지만 토큰을 발급한 인증서는 "
                f"SHA256 {token.fingerprint}입니다: 신뢰하지 않습니다({url}이(가) 토큰을 만든 "
                "서버가 맞나요?)",
            )
        )


def mismatch(url: str, name: str | None, presented: str, pinned: str) -> CertificateMismatch:
    again = (
        both(
            f"`snaplab remote remove {name}` and add it again",
            f"`snaplab remote remove {name}`를 실행한 뒤 다시 추가하세요",
        )
        if name
        else both("remove the remote and add it again", "원격을 지우고 다시 추가하세요")
    )
    return CertificateMismatch(
        both(
            f"the server at {url} presented certificate SHA256 {presented}, not the pinned "
            f"{pinned}: if the server was rebuilt, {again.en}",
            f"{url}의 서버가 고정된 인증서 {pinned}이(가) 아닌 SHA256 {presented}을(를) "
            f"제시했습니다: 서버를 다시 만들었다면 {again.ko}",
        )
    )


def host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname or parts.path.strip("/"):
        raise SnaplabError(
            both(
                f"{url!r} is not an HTTPS remote URL: use https://HOST[:PORT]",
                f"{url!r}은(는) HTTPS 원격 URL이 아닙니다: https://HOST[:PORT] 형식을 사용하세요",
            ),
            ExitCode.USAGE,
        )
    try:
        port = parts.port or DEFAULT_PORT
    except ValueError:
        raise SnaplabError(
            both(f"{url!r} has an invalid port", f"{url!r}의 포트가 올바르지 않습니다"),
            ExitCode.USAGE,
        ) from None
    return parts.hostname, port


def canonical_url(url: str) -> str:
    host, port = host_port(url)
    return f"https://{'[' + host + ']' if ':' in host else host}:{port}"


def server_kind(meta: dict) -> str | None:
    """lxd or incus from GET /1.0. Untrusted, neither daemon names itself (no
    `environment`), but their extension names do: `devlxd_*` vs `dev_incus_*`."""
    server = (meta.get("environment") or {}).get("server")
    if server:
        return str(server)
    extensions = meta.get("api_extensions") or []
    # the fork first: it may have kept a name of LXD's, LXD never has one of its
    for backend in reversed(BACKENDS.values()):
        if any(backend.extension_mark in e for e in extensions):
            return backend.name
    return None


def trust_request(kind: str, token_text: str, cert_pem: str, name: str) -> dict:
    """POST /1.0/certificates: LXD 5.0 takes the token as `password`, Incus only as `trust_token`."""
    der = ssl.PEM_cert_to_DER_cert(cert_pem)
    body = {"type": "client", "name": name, "certificate": base64.b64encode(der).decode()}
    body[get_backend(kind).trust_field] = token_text.strip()
    return body


# -- the user's files ----------------------------------------------------------


def config_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "snaplab"


def _store() -> Path:
    return config_dir() / "remotes.yaml"


def load() -> dict[str, Remote]:
    path = _store()
    if not path.exists():
        return {}
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return {
            name: Remote(name=name, **fields) for name, fields in doc.get("remotes", {}).items()
        }
    except (yaml.YAMLError, TypeError, AttributeError) as e:
        why = str(e).replace("\n", " ")
        raise SnaplabError(
            both(
                f"{path} is not a valid remotes file ({why}): fix or remove it",
                f"{path}은(는) 올바른 원격 목록 파일이 아닙니다({why}): 고치거나 지우세요",
            ),
            ExitCode.USAGE,
        ) from None


def save(remotes: dict[str, Remote]) -> None:
    path = _store()
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {
        "remotes": {
            r.name: {k: v for k, v in asdict(r).items() if k != "name"}
            for r in sorted(remotes.values(), key=lambda r: r.name)
        }
    }
    tmp = path.with_suffix(".tmp")
    tmp.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    tmp.replace(path)


def get(name: str) -> Remote:
    remote = load().get(name)
    if remote is None:
        add = f"`snaplab remote add {name} https://HOST:PORT --token TOKEN`"
        raise SnaplabError(
            both(
                f"no remote named {name!r}: `snaplab remote list` shows them, {add} adds one",
                f"{name!r}(이)라는 원격이 없습니다: `snaplab remote list`로 목록을 보고 "
                f"{add}(으)로 추가하세요",
            ),
            ExitCode.USAGE,
        )
    return remote


def find(ref: str) -> Remote:
    """A stored remote by name, or by URL; a URL that was never added is refused."""
    if "://" not in ref:
        return get(ref)
    url = canonical_url(ref)
    for remote in load().values():
        if remote.url == url:
            return remote
    add = f"`snaplab remote add NAME {ref} --token TOKEN`"
    trust = trust_commands()
    raise SnaplabError(
        both(
            f"{ref} is not a stored remote: add it first with {add} (a token from {trust.en} "
            "on the server), then use --remote NAME",
            f"{ref}은(는) 저장된 원격이 아닙니다: 먼저 {add}(으)로 추가한 뒤(토큰은 서버에서 "
            f"{trust.ko}(으)로 만듭니다) --remote NAME을 사용하세요",
        ),
        ExitCode.USAGE,
    )


def pin_path(name: str) -> Path:
    return config_dir() / "servercerts" / f"{name}.crt"


def self_signed(common_name: str, days: int = 3650) -> tuple[bytes, bytes]:
    """A self-signed client-auth certificate and its key, both PEM (the daemons' own kind)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    private = ec.generate_private_key(ec.SECP384R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "snaplab"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(private, hashes.SHA384())
    )
    key_bytes = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_bytes


def client_cert() -> tuple[Path, Path]:
    """This user's client certificate and key for snaplab, made on first use."""
    crt, key = config_dir() / "client.crt", config_dir() / "client.key"
    if crt.exists() and key.exists():
        return crt, key
    cert_pem, key_pem = self_signed(f"snaplab@{socket.gethostname()}")
    crt.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key_pem)
    os.chmod(key, 0o600)
    crt.write_bytes(cert_pem)
    return crt, key


def fetch_certificate(url: str, timeout: float = 10) -> str:
    """The certificate the server presents, in PEM, not yet trusted for anything."""
    host, port = host_port(url)
    try:
        return ssl.get_server_certificate((host, port), timeout=timeout)
    except (OSError, ssl.SSLError) as e:
        why = e.strerror if isinstance(e, OSError) and e.strerror else e
        raise SnaplabError(
            both(
                f"nothing answers TLS at {url} ({why})",
                f"{url}에서 TLS로 응답하는 것이 없습니다({why})",
            ),
            ExitCode.DAEMON_DOWN,
        ) from None


@contextmanager
def cli_config(remote: Remote, backend: Backend) -> Iterator[dict[str, str]]:
    """A throwaway client config directory for lxc / incus whose default remote is `remote`.

    The guide's commands (`lxc snapshot ubuntu-test …`) then reach the remote as
    written, through this user's snaplab client certificate, trusting exactly the
    pinned server certificate (the CLIs take servercerts/NAME.crt as the server's
    own). The layout is what `lxc remote add` / `incus remote add` write. Yields
    the environment that points the CLI at it (Backend.conf_env: LXD_CONF /
    INCUS_CONF); the directory, key included, is removed afterwards.
    """
    crt, key = client_cert()
    where = Path(tempfile.mkdtemp(prefix="snaplab-cli-"))  # mode 0700: the key stays ours
    try:
        try:
            pin = Path(remote.server_cert).read_bytes()
            ssl.PEM_cert_to_DER_cert(pin.decode())
        except (OSError, ValueError) as e:
            raise SnaplabError(
                both(
                    f"cannot read the pinned certificate {remote.server_cert} ({e}): "
                    f"`snaplab remote remove {remote.name}` and add it again",
                    f"고정된 서버 인증서 {remote.server_cert}을(를) 읽을 수 없습니다({e}): "
                    f"`snaplab remote remove {remote.name}` 후 다시 추가하세요",
                ),
                ExitCode.PERMISSION,
            ) from None
        (where / "servercerts").mkdir()
        (where / "servercerts" / f"{remote.name}.crt").write_bytes(pin)
        shutil.copyfile(crt, where / "client.crt")
        fd = os.open(where / "client.key", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(key.read_bytes())
        config = {
            "default-remote": remote.name,
            "remotes": {
                remote.name: {
                    "addr": remote.url,
                    "project": "default",  # the command line names another (--project)
                    "protocol": backend.protocol,
                    "public": False,
                }
            },
            "aliases": {},
        }
        (where / "config.yml").write_text(yaml.safe_dump(config, sort_keys=False))
        yield {backend.conf_env: str(where)}
    finally:
        shutil.rmtree(where, ignore_errors=True)
