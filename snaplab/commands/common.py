"""Arguments several verbs share, so they read the same everywhere."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from snaplab import i18n
from snaplab.backends import NAMES
from snaplab.transports import Target

if TYPE_CHECKING:  # the lab engine pulls in pylxd and pytest: only verbs that need it pay
    from snaplab import remotes  # ssl and certificates: only a --remote pays for them
    from snaplab.lab.journal import Session
    from snaplab.lab.model import Lab


def add_target(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--backend", default="lxd", choices=NAMES, help="which daemon (default: lxd)"
    )
    parser.add_argument("--project", default="default", help="daemon project (default: default)")
    add_remote(parser)


def add_remote(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--remote",
        metavar="NAME",
        default=None,
        help="a stored HTTPS remote (`snaplab remote add`) instead of the local socket",
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
        help="language of messages: ko or en (default: SNAPLAB_LANG or locale)",
    )


def add_lab(parser: argparse.ArgumentParser, json_flag: bool = True) -> None:
    parser.add_argument("lab", help="the lab's id, e.g. snapshots (`snaplab labs` lists them)")
    parser.add_argument(
        "--backend",
        choices=NAMES,
        default=None,
        help="lxd or incus (default: the one `start` used, else lxd)",
    )
    parser.add_argument(
        "--instance", default=None, help="the lab container (default: the lab's, e.g. ubuntu-test)"
    )
    parser.add_argument("--project", default=None, help="daemon project (default: default)")
    add_remote(parser)
    if json_flag:
        parser.add_argument("--json", action="store_true", help="machine-readable output")


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
