"""Arguments several verbs share, so they read the same everywhere."""

from __future__ import annotations

import argparse

from snaplab import i18n
from snaplab.lab.journal import Session
from snaplab.lab.model import Lab, load
from snaplab.lab.runner import session_for
from snaplab.transports import Target


def add_target(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--backend", default="lxd", choices=("lxd", "incus"), help="which daemon (default: lxd)"
    )
    parser.add_argument("--project", default="default", help="daemon project (default: default)")
    parser.add_argument(
        "--remote", metavar="URL", default=None, help="an HTTPS remote instead of the local socket"
    )


def target(args: argparse.Namespace) -> Target:
    return Target(backend=args.backend, url=args.remote, project=args.project)


def add_lang(parser: argparse.ArgumentParser) -> None:
    """--lang after the verb too (`snaplab check snapshots --lang ko`)."""
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
        choices=("lxd", "incus"),
        default=None,
        help="lxd or incus (default: the one `start` used, else lxd)",
    )
    parser.add_argument(
        "--instance", default=None, help="the lab container (default: the lab's, e.g. ubuntu-test)"
    )
    parser.add_argument("--project", default=None, help="daemon project (default: default)")
    if json_flag:
        parser.add_argument("--json", action="store_true", help="machine-readable output")
    add_lang(parser)


def lab_session(args: argparse.Namespace) -> tuple[Lab, Session]:
    lab = load(args.lab)
    return lab, session_for(lab, args.backend, args.instance, args.project)
