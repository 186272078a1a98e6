"""`snaplab remote add|list|remove`: HTTPS remotes trusted with a token, server certificate pinned.

`add` makes this user's client certificate (once), fetches the server's
certificate and pins it only if the token vouches for it (same SHA-256), sends
the trust request the way that server kind expects it, and keeps the remote only
once the API says this client is trusted.
"""

from __future__ import annotations

import argparse
import getpass
import socket
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from snaplab import i18n, remotes
from snaplab.backends import BACKENDS, NAMES, trust_commands
from snaplab.commands.common import add_json
from snaplab.errors import ExitCode, SnaplabError
from snaplab.i18n import Text, both, text
from snaplab.lab.model import check_name
from snaplab.transports import Target, connect

if TYPE_CHECKING:
    import requests


@dataclass
class RemoteResult:
    remotes: list[remotes.Remote] = field(default_factory=list)
    message: Text | None = None
    code: ExitCode = ExitCode.OK

    def to_dict(self) -> dict:
        return {
            "remotes": [
                {
                    "name": r.name,
                    "url": r.url,
                    "backend": r.backend,
                    "project": r.project,
                    "server_cert": r.server_cert,
                }
                for r in self.remotes
            ]
        }

    def render(self, lang: str) -> str:
        if self.message:
            return self.message.get(lang)
        if not self.remotes:
            add = "`snaplab remote add NAME https://HOST:PORT --token TOKEN`"
            return both(
                f"no remotes: {add}", f"저장된 원격이 없습니다: {add}(으)로 추가하세요"
            ).get(lang)
        return "\n".join(f"{r.name:16} {r.url:28} {r.backend:6} {r.project}" for r in self.remotes)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "remote",
        help=i18n.helptext(
            "HTTPS remotes: add one with a trust token, list, remove",
            "HTTPS 원격: 신뢰 토큰으로 추가, 목록 보기, 삭제",
        ),
        description=i18n.helptext(
            "Manage HTTPS remotes. `add` trusts this user's snaplab client certificate "
            "on the server with a token from "
            + " or ".join(f"`{b.trust_add}` ({b.title})" for b in BACKENDS.values())
            + " and pins the server's certificate the token vouches for. "
            "Other verbs then take --remote NAME.",
            "HTTPS 원격을 관리합니다. `add`는 서버에서 "
            + " 또는 ".join(f"`{b.trust_add}`({b.title})" for b in BACKENDS.values())
            + "로 만든 토큰으로 이 사용자의 snaplab 클라이언트 인증서를 서버가 신뢰하게 하고, "
            "토큰이 보증하는 서버 인증서를 고정합니다. 그다음부터 다른 명령에 --remote NAME을 "
            "줄 수 있습니다.",
        ),
    )
    verbs = p.add_subparsers(dest="remote_verb", metavar="VERB", required=True)
    a = verbs.add_parser(
        "add",
        help=i18n.helptext(
            "trust this client on a server and remember it",
            "서버가 이 클라이언트를 신뢰하게 하고 원격으로 저장",
        ),
    )
    a.add_argument(
        "name",
        help=i18n.helptext("a name for the remote, e.g. classroom", "원격의 이름, 예: classroom"),
    )
    a.add_argument(
        "url",
        help=i18n.helptext(
            "https://HOST[:PORT] (port 8443 by default)", "https://HOST[:PORT] (포트 기본값: 8443)"
        ),
    )
    a.add_argument(
        "--token",
        required=True,
        help=i18n.helptext("the trust token the server printed", "서버가 출력한 신뢰 토큰"),
    )
    a.add_argument(
        "--backend",
        choices=NAMES,
        default=None,
        help=i18n.helptext("default: what the server is", "기본값: 서버의 종류"),
    )
    a.add_argument(
        "--project",
        default="default",
        help=i18n.helptext(
            "daemon project (default: default)", "데몬의 프로젝트 (기본값: default)"
        ),
    )
    a.set_defaults(run=add)
    ls = verbs.add_parser("list", help=i18n.helptext("the stored remotes", "저장된 원격 목록"))
    add_json(ls)
    ls.set_defaults(run=list_)
    rm = verbs.add_parser(
        "remove",
        help=i18n.helptext(
            "forget a remote and its pinned certificate", "저장된 원격과 고정된 인증서를 삭제"
        ),
    )
    rm.add_argument(
        "name",
        help=i18n.helptext(
            "the remote's name (`snaplab remote list`)",
            "원격의 이름 (`snaplab remote list`로 확인)",
        ),
    )
    rm.set_defaults(run=remove)


def add(args: argparse.Namespace) -> RemoteResult:
    name = check_name(args.name, "remote")
    url = remotes.canonical_url(args.url)
    if name in remotes.load():
        raise SnaplabError(
            both(
                f"a remote named {name} exists: `snaplab remote remove {name}` first",
                f"{name}(이)라는 원격이 이미 있습니다: 먼저 `snaplab remote remove {name}`를 "
                "실행하세요",
            ),
            ExitCode.CONFLICT,
        )
    token = remotes.decode_token(args.token)
    if token is None:
        trust = trust_commands()
        raise SnaplabError(
            both(
                "--token is not a trust token (base64 JSON carrying the server's fingerprint): "
                f"make one on the server with {trust.en}",
                "--token 값이 신뢰 토큰(서버 지문을 담은 base64 JSON)이 아닙니다: 서버에서 "
                f"{trust.ko}으로 만드세요",
            ),
            ExitCode.USAGE,
        )
    presented = remotes.fetch_certificate(url)
    remotes.check_vouched(url, presented, token)  # the pin is what the token vouches for
    cert = remotes.client_cert()
    from snaplab.transports.https import open_session

    session = open_session(url, presented, cert)
    meta = _get(session, url)
    kind = remotes.server_kind(meta)
    backend = args.backend or kind
    if backend is None:
        raise SnaplabError(
            both(
                f"cannot tell whether {url} is LXD or Incus: pass --backend",
                f"{url}이(가) LXD인지 Incus인지 알 수 없습니다: --backend를 지정하세요",
            ),
            ExitCode.USAGE,
        )
    if kind and kind != backend:
        raise SnaplabError(
            text("wrong_backend", where=url, server=kind, backend=backend), ExitCode.USAGE
        )
    if meta.get("auth") != "trusted":
        label = token.client_name or f"snaplab-{getpass.getuser()}@{socket.gethostname()}"
        body = remotes.trust_request(backend, args.token, cert[0].read_text(), label)
        _post(session, url, body)
    pin = remotes.pin_path(name)
    pin.parent.mkdir(parents=True, exist_ok=True)
    pin.write_text(presented)
    remote = remotes.Remote(name, url, backend, str(pin), args.project)
    try:
        conn = connect(Target(backend, url, args.project, cert[0], cert[1], pin))
        auth = conn.client.host_info.get("auth")
        if auth != "trusted":
            raise SnaplabError(
                both(
                    f"{url} accepted the token but reports auth {auth!r} for this client",
                    f"{url}이(가) 토큰을 받았지만 이 클라이언트의 auth를 {auth!r}(으)로 알려 옵니다",
                ),
                ExitCode.PERMISSION,
            )
    except BaseException:
        pin.unlink(missing_ok=True)
        raise
    stored = remotes.load()
    stored[name] = remote
    remotes.save(stored)
    server, pin_fp = f"{url} ({conn.server} {conn.version})", remotes.fingerprint(presented)
    return RemoteResult(
        [remote],
        both(
            f"remote {name} added: {server}, this client is trusted; "
            f"server certificate SHA256 {pin_fp} pinned",
            f"원격 {name}을(를) 추가했습니다: {server}. 이 클라이언트는 신뢰받습니다. "
            f"서버 인증서 SHA256 {pin_fp}을(를) 고정했습니다",
        ),
    )


def _get(session: requests.Session, url: str) -> dict:
    import requests

    try:
        reply = session.get(f"{url}/1.0", timeout=30)
        return dict(reply.json()["metadata"])
    except (requests.RequestException, ValueError, KeyError, TypeError) as e:
        raise SnaplabError(
            both(
                f"{url} does not answer as LXD or Incus ({e})",
                f"{url}이(가) LXD나 Incus처럼 응답하지 않습니다({e})",
            ),
            ExitCode.DAEMON_DOWN,
        ) from None


def _post(session: requests.Session, url: str, body: dict) -> None:
    import requests

    try:
        reply = session.post(f"{url}/1.0/certificates", json=body, timeout=30)
    except requests.RequestException as e:
        raise SnaplabError(
            both(
                f"{url} did not answer the trust request ({e})",
                f"{url}이(가) 신뢰 요청에 응답하지 않았습니다({e})",
            ),
            ExitCode.DAEMON_DOWN,
        ) from None
    if reply.status_code >= 400:
        try:
            why = reply.json().get("error") or reply.text
        except ValueError:
            why = reply.text
        why = why.strip()
        raise SnaplabError(
            both(
                f"{url} refused the token ({why}): tokens work once and may expire; "
                "make a new one on the server",
                f"{url}이(가) 토큰을 거부했습니다({why}): 토큰은 한 번만 쓸 수 있고 만료될 수 "
                "있습니다. 서버에서 새로 만드세요",
            ),
            ExitCode.PERMISSION,
        )


def list_(args: argparse.Namespace) -> RemoteResult:
    return RemoteResult(list(remotes.load().values()))


def remove(args: argparse.Namespace) -> RemoteResult:
    stored = remotes.load()
    remote = remotes.get(args.name)
    del stored[remote.name]
    remotes.save(stored)
    remotes.pin_path(remote.name).unlink(missing_ok=True)
    return RemoteResult(
        [remote],
        both(
            f"remote {remote.name} removed (the server still trusts this client until its "
            "certificate is removed there)",
            f"원격 {remote.name}을(를) 지웠습니다(서버에서 이 클라이언트의 인증서를 지우기 "
            "전까지 서버는 계속 이 클라이언트를 신뢰합니다)",
        ),
    )
