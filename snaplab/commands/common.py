"""Arguments several verbs share, so they read the same everywhere."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from snaplab import i18n
from snaplab.backends import NAMES, PICKS
from snaplab.transports import Target

if TYPE_CHECKING:  # the lab engine pulls in pylxd and pytest: only verbs that need it pay
    from snaplab import remotes  # ssl and certificates: only a --remote pays for them
    from snaplab.lab.journal import Session
    from snaplab.lab.model import Lab


def add_target(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--backend",
        default="lxd",
        choices=NAMES,
        help=i18n.helptext("which daemon (default: lxd)", "사용할 데몬 (기본값: lxd)"),
    )
    parser.add_argument(
        "--project",
        default="default",
        help=i18n.helptext(
            "daemon project (default: default)", "데몬의 프로젝트 (기본값: default)"
        ),
    )
    add_remote(parser)


def add_remote(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--remote",
        metavar="NAME",
        default=None,
        help=i18n.helptext(
            "a stored HTTPS remote (`snaplab remote add`) instead of the local socket",
            "로컬 소켓 대신 쓸, 저장된 HTTPS 원격(`snaplab remote add`)",
        ),
    )


def stored_remote(args: argparse.Namespace) -> remotes.Remote | None:
    """The remote --remote names; a URL that was never `remote add`ed is refused."""
    ref = getattr(args, "remote", None)
    if not ref:
        return None
    from snaplab import remotes

    return remotes.find(ref)


def target(args: argparse.Namespace) -> Target:
    remote = stored_remote(args)
    if remote is None:
        return Target(backend=args.backend, project=args.project or "default")
    # the transport adds the remote's client certificate and pin
    return Target(args.backend or remote.backend, remote.url, args.project or remote.project)


def add_lang(parser: argparse.ArgumentParser) -> None:
    """--lang after the verb too (`snaplab doctor --lang ko`); `cli.build_parser` adds it
    to every verb, so no verb registers its own."""
    parser.add_argument(
        "--lang",
        choices=i18n.LANGS,
        default=argparse.SUPPRESS,
        help=i18n.helptext(
            "language of help and messages: ko or en (default: SNAPLAB_LANG or the locale)",
            "도움말과 메시지의 언어: ko 또는 en (기본값: SNAPLAB_LANG 또는 로케일)",
        ),
    )


def add_lab(parser: argparse.ArgumentParser, json_flag: bool = True) -> None:
    parser.add_argument(
        "lab",
        help=i18n.helptext(
            "the lab's id, e.g. snapshots (`snaplab labs` lists them)",
            "실습의 id, 예: snapshots (목록은 `snaplab labs`로 볼 수 있음)",
        ),
    )
    parser.add_argument(
        "--backend",
        choices=NAMES,
        default=None,
        help=i18n.helptext(
            "lxd or incus (default: the one `start` used, else lxd)",
            "lxd 또는 incus (기본값: `start`에서 쓴 것, 없으면 lxd)",
        ),
    )
    parser.add_argument(
        "--instance",
        default=None,
        help=i18n.helptext(
            "the lab container (default: the lab's, e.g. ubuntu-test)",
            "실습 컨테이너 (기본값: 실습에 정해진 것, 예: ubuntu-test)",
        ),
    )
    parser.add_argument(
        "--project",
        default=None,
        help=i18n.helptext(
            "daemon project (default: default)", "데몬의 프로젝트 (기본값: default)"
        ),
    )
    add_remote(parser)
    if json_flag:
        add_json(parser)


def add_json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--json",
        action="store_true",
        help=i18n.helptext("machine-readable output", "기계가 읽을 수 있는 출력(JSON)"),
    )


def add_backends(parser: argparse.ArgumentParser) -> None:
    """--backend for the verbs that act on this machine's daemons, one or both."""
    parser.add_argument(
        "--backend",
        default="all",
        choices=PICKS,
        help=i18n.helptext(
            "which daemons: lxd, incus or all (default: all)",
            "대상 데몬: lxd, incus 또는 all (기본값: all)",
        ),
    )


def lab_session(args: argparse.Namespace) -> tuple[Lab, Session]:
    from snaplab.lab.journal import session_for  # light: no pylxd, no pytest
    from snaplab.lab.model import load

    lab = load(args.lab)
    remote = stored_remote(args)
    if remote is None:
        return lab, session_for(lab, args.backend, args.instance, args.project)
    backend = args.backend or remote.backend
    project = args.project or remote.project
    return lab, session_for(lab, backend, args.instance, project, remote.url)
