"""The only place that turns errors into messages and exit codes.

Each verb lives in `snaplab/commands/<verb>.py` with `register(subparsers)`;
its `run(args)` returns a result with `to_dict()`, `render(lang)` and `code`.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import warnings
from collections.abc import Sequence
from typing import Any

from snaplab import __version__, i18n
from snaplab.commands import COMMANDS
from snaplab.errors import ExitCode, SnaplabError

EPILOG = """\
exit codes:
  0  success; every step or check passes
  1  some lab steps or doctor checks do not pass
  2  usage: unknown lab, invalid name, bad option
  3  the daemon is not installed, not running or not answering
  4  permission: not root where needed, or the socket is not permitted
  5  not found: the lab container or the lab image is missing
  6  conflict: a container of that name exists and is not snaplab's, or another
     user's `start` is making it right now (try again)
  7  a lab file fails its schema
  8  host setup (or a learner's class setup) could not finish
  130 interrupted (Ctrl-C)

A first session:  sudo snaplab host setup;  snaplab doctor;  snaplab start snapshots
"""


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit code 2, like every other error."""

    def error(self, message: str) -> Any:
        raise SnaplabError(f"{self.prog}: {message} (see `{self.prog} --help`)", ExitCode.USAGE)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="snaplab",
        description="Learn and verify LXD/Incus container snapshots (chapter 8 of the LXD book).",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"snaplab {__version__}")
    parser.add_argument(
        "--lang",
        choices=i18n.LANGS,
        help="language of messages (default: SNAPLAB_LANG or the locale)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for module in COMMANDS:
        module.register(sub)
    return parser


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _interrupt)  # clean-up paths run on `kill` too
    # pylxd warns about every API field it does not model; learners need none of it
    warnings.filterwarnings("ignore", category=UserWarning, module="pylxd")
    lang = i18n.detect(None)
    try:
        args = build_parser().parse_args(argv)
        lang = i18n.detect(args.lang)
        if not getattr(args, "run", None):
            build_parser().print_help()
            return int(ExitCode.USAGE)
        result = args.run(args)
        if getattr(args, "json", False):
            print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        else:
            out = result.render(lang)
            if out:
                print(out)
        return int(result.code)
    except SnaplabError as e:
        print(f"snaplab: {e.render(lang)}", file=sys.stderr)
        return int(e.code)
    except Exception as e:
        from pylxd.exceptions import LXDAPIException

        if not isinstance(e, LXDAPIException):
            raise
        # the daemon said no to something we did not foresee: its words, one line
        print(f"snaplab: the daemon refused: {e}", file=sys.stderr)
        return int(ExitCode.DAEMON_DOWN)
    except KeyboardInterrupt:
        print(f"snaplab: {i18n.text('interrupted').get(lang)}", file=sys.stderr)
        return int(ExitCode.INTERRUPTED)
