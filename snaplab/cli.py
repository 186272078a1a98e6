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
from snaplab.commands import modules
from snaplab.commands.common import add_lang
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
KOREAN = "한국어 메시지: --lang ko (또는 SNAPLAB_LANG=ko)"  # the one Korean line of --help


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit code 2, like every other error.

    `main` prefixes "snaplab:", so the line names only the verb: argparse's own words
    stay English, behind a Korean lead.
    """

    def error(self, message: str) -> Any:
        verb = self.prog.removeprefix("snaplab").strip()
        where = f"{verb}: {message}" if verb else message
        raise SnaplabError(
            i18n.both(
                f"{where} (see `{self.prog} --help`)",
                f"사용법 오류: {where} (`{self.prog} --help`를 참고하세요)",
            ),
            ExitCode.USAGE,
        )


def _every_verb(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    """The parsers under `parser`, at every depth (`host`, `host setup`, ...)."""
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in dict.fromkeys(action.choices.values()):  # aliases share a parser
                found += [child, *_every_verb(child)]
    return found


def _lang_in(argv: Sequence[str]) -> str | None:
    """--lang as typed, read before parsing, so a usage error is in that language too."""
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--lang="):
            return arg.partition("=")[2]
    return None


def _verb_in(argv: Sequence[str]) -> str | None:
    """The verb as typed (the first word that is not an option or --lang's value)."""
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--lang":
            skip = True
        elif not arg.startswith("-"):
            return arg
    return None


def build_parser(verb: str | None = None) -> argparse.ArgumentParser:
    """Every verb, or only `verb` when it is known: its parse and its run need no other."""
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
    for module in modules(verb):
        module.register(sub)
    parser.epilog = f"{EPILOG}\n{KOREAN}\n"
    for each in _every_verb(parser):  # --lang after any verb, and the Korean pointer in its help
        add_lang(each)
        each.epilog = f"{each.epilog}\n\n{KOREAN}" if each.epilog else KOREAN
    return parser


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _interrupt)  # clean-up paths run on `kill` too
    # pylxd warns about every API field it does not model; learners need none of it
    warnings.filterwarnings("ignore", category=UserWarning, module="pylxd")
    typed = sys.argv[1:] if argv is None else argv
    lang = i18n.detect(_lang_in(typed))
    try:
        args = build_parser(_verb_in(typed)).parse_args(argv)
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
        from requests import RequestException

        if isinstance(e, LXDAPIException):
            # the daemon said no to something we did not foresee: its words, one line
            said = i18n.both(f"the daemon refused: {e}", f"데몬이 요청을 거부했습니다: {e}")
        elif isinstance(e, RequestException):
            # a daemon that stopped answering mid-way (a read timeout): say so, in one line
            said = i18n.both(
                f"the daemon did not answer: {e}; see `snaplab doctor`",
                f"데몬이 응답하지 않습니다: {e}. `snaplab doctor`로 확인하세요",
            )
        else:
            raise
        print(f"snaplab: {said.get(lang)}", file=sys.stderr)
        return int(ExitCode.DAEMON_DOWN)
    except KeyboardInterrupt:
        print(f"snaplab: {i18n.text('interrupted').get(lang)}", file=sys.stderr)
        return int(ExitCode.INTERRUPTED)
