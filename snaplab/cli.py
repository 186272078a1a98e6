"""The only place that turns errors into messages and exit codes.

Each verb lives in `snaplab/commands/<verb>.py` with `register(subparsers)`;
its `run(args)` returns a result with `to_dict()`, `render(lang)` and `code`.
"""

from __future__ import annotations

import argparse
import functools
import json
import signal
import sys
import unicodedata
import warnings
from collections.abc import Sequence
from typing import Any

from snaplab import __version__, i18n
from snaplab.commands import modules
from snaplab.commands.common import add_lang
from snaplab.errors import ExitCode, SnaplabError

EPILOG = i18n.helptext(
    """\
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
""",
    """\
종료 코드:
  0  성공: 모든 단계 또는 점검을 통과했습니다
  1  통과하지 못한 실습 단계나 doctor 점검이 있습니다
  2  사용법 오류: 알 수 없는 실습, 올바르지 않은 이름, 잘못된 옵션
  3  데몬이 설치되지 않았거나, 실행 중이 아니거나, 응답하지 않습니다
  4  권한: root가 필요한 곳에서 root가 아니거나, 소켓 사용 권한이 없습니다
  5  찾을 수 없음: 실습 컨테이너나 실습 이미지가 없습니다
  6  충돌: 같은 이름의 컨테이너가 있는데 snaplab이 만든 것이 아니거나,
     다른 사용자의 `start`가 지금 만들고 있습니다(잠시 후 다시 시도하세요)
  7  실습 파일이 스키마 검사를 통과하지 못했습니다
  8  호스트 설정(또는 학습자의 class setup)을 끝내지 못했습니다
  130 중단됨(Ctrl-C)

처음 해 보기:  sudo snaplab host setup;  snaplab doctor;  snaplab start snapshots
""",
)
# the other language's pointer, last in every --help
POINTER = {
    "en": "한국어 도움말과 메시지: --lang ko (또는 SNAPLAB_LANG=ko)",
    "ko": "English help and messages: --lang en (or SNAPLAB_LANG=en)",
}
# argparse's own words, fixed when a parser is made (`_('options')`, `_('show this ...')`)
ARGPARSE_KO = {
    "positional arguments": "위치 인자",
    "options": "옵션",
    "show this help message and exit": "이 도움말을 보여 주고 끝냅니다",
    "show program's version number and exit": "프로그램 버전을 보여 주고 끝냅니다",
}


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit code 2, like every other error.

    `main` prefixes "snaplab:", so the line names only the verb: argparse's own words
    stay English, behind a Korean lead.
    """

    lang = "en"

    def _get_formatter(self) -> argparse.HelpFormatter:
        formatter = super()._get_formatter()
        if self.lang == "ko":  # argparse's "usage: " is asked for only as help is written
            formatter.add_usage = functools.partial(  # type: ignore[method-assign]
                formatter.add_usage, prefix="사용법: "
            )
            formatter._split_lines = _wrap_wide  # type: ignore[method-assign]
            if not isinstance(formatter, argparse.RawDescriptionHelpFormatter):
                formatter._fill_text = _fill_wide  # type: ignore[method-assign]
        return formatter

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


def _wrap_wide(text: str, width: int) -> list[str]:
    """argparse wraps by characters; a Hangul syllable takes two columns of a terminal."""
    lines: list[str] = []
    line, used = "", 0
    for word in text.split():
        cols = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in word)
        if line and used + 1 + cols > width:
            lines.append(line)
            line, used = "", 0
        line, used = (f"{line} {word}", used + 1 + cols) if line else (word, cols)
    return [*lines, line] if line else lines


def _fill_wide(text: str, width: int, indent: str) -> str:
    return "\n".join(indent + line for line in _wrap_wide(text, width - len(indent)))


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


def _in(lang: str, words: str | None) -> str | None:
    if lang != "ko" or words is None:
        return words
    return words.ko if isinstance(words, i18n.HelpText) else ARGPARSE_KO.get(words, words)


def _localize(parser: Parser, lang: str) -> None:
    """Every help string in `lang`, and the pointer to the other language last."""
    parser.lang = lang
    parser.description = _in(lang, parser.description)
    epilog = _in(lang, parser.epilog)
    parser.epilog = f"{epilog}\n\n{POINTER[lang]}" if epilog else POINTER[lang]
    for group in parser._action_groups:
        group.title = _in(lang, group.title)
    for action in parser._actions:
        action.help = _in(lang, action.help)
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:  # the verbs' one-liners in the list
                verb = action.choices[choice.dest]
                verb.description = verb.description or choice.help  # and atop its own --help
                choice.help = _in(lang, choice.help)


def build_parser(verb: str | None = None, lang: str = "en") -> argparse.ArgumentParser:
    """Every verb, or only `verb` when it is known: its parse and its run need no other."""
    parser = Parser(
        prog="snaplab",
        description=i18n.helptext(
            "Learn and verify LXD/Incus container snapshots (chapter 8 of the LXD book).",
            "LXD/Incus 컨테이너 스냅샷을 배우고 검증합니다(LXD 책 8장).",
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"snaplab {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for module in modules(verb):
        module.register(sub)
    for each in [parser, *_every_verb(parser)]:  # --lang after any verb too
        add_lang(each)
        _localize(each, lang)  # type: ignore[arg-type]
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
        args = build_parser(_verb_in(typed), lang).parse_args(argv)
        lang = i18n.detect(getattr(args, "lang", None))
        if not getattr(args, "run", None):
            build_parser(lang=lang).print_help()
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
