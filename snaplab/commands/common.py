"""Arguments several verbs share, so they read the same everywhere."""

from __future__ import annotations

import argparse

from snaplab.transports import Target


def add_target(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--backend", default="lxd", choices=("lxd", "incus"),
                        help="which daemon (default: lxd)")
    parser.add_argument("--project", default="default", help="daemon project (default: default)")
    parser.add_argument("--remote", metavar="URL", default=None,
                        help="an HTTPS remote instead of the local socket")


def target(args: argparse.Namespace) -> Target:
    return Target(backend=args.backend, url=args.remote, project=args.project)
