import pytest

from snaplab.errors import ExitCode


def test_help_teaches_exit_codes(cli):
    r = cli("--help")
    assert r.rc == 0
    assert "exit codes" in r.out and "snaplab host setup" in r.out


def test_unknown_command_is_one_line_usage_error(cli):
    r = cli("frobnicate")
    assert r.rc == ExitCode.USAGE
    assert len(r.lines) == 1 and r.lines[0].startswith("snaplab:")


def test_host_setup_needs_root(cli):
    r = cli("host", "setup", "--dry-run", user="lxdadmin")
    assert r.rc == ExitCode.PERMISSION
    assert len(r.lines) == 1 and "root" in r.lines[0]


def test_host_setup_needs_root_in_korean(cli):
    r = cli("--lang", "ko", "host", "setup", user="lxdadmin")
    assert r.rc == ExitCode.PERMISSION
    assert "root로 실행해야" in r.err


@pytest.mark.parametrize(
    "argv",
    [
        ("doctor", "--lang", "ko", "--size", "5Q"),
        ("host", "setup", "--lang", "ko", "--storage", "ntfs"),
        ("class", "grade", "--lang", "ko", "x.csv", "--jobs", "many"),
        ("remote", "list", "--lang", "ko", "--frob"),
        ("--lang", "ko", "doctor", "--size", "5Q"),
    ],
)
def test_lang_is_taken_after_every_verb(cli, argv):
    r = cli(*argv, env={"SNAPLAB_LANG": "en"})
    assert r.rc == ExitCode.USAGE
    assert len(r.lines) == 1 and r.lines[0].startswith("snaplab: 사용법 오류: "), r.err
    assert "unrecognized arguments: --lang" not in r.err


def test_a_usage_error_names_snaplab_once_and_the_verb(cli):
    r = cli("doctor", "--size", "5Q", env={"SNAPLAB_LANG": "en"})
    assert r.rc == ExitCode.USAGE
    assert r.lines == [
        "snaplab: doctor: argument --size: '5Q' is not a size such as 500M or 2G "
        "(see `snaplab doctor --help`)"
    ]
    ko = cli("doctor", "--size", "5Q", env={"SNAPLAB_LANG": "ko"})
    assert ko.lines == [
        "snaplab: 사용법 오류: doctor: argument --size: '5Q' is not a size such as 500M or 2G "
        "(`snaplab doctor --help`를 참고하세요)"
    ]


def test_the_lang_flag_beats_the_environment_even_for_usage_errors(cli):
    r = cli("doctor", "--size", "5Q", "--lang", "en", env={"SNAPLAB_LANG": "ko"})
    assert r.lines[0].startswith("snaplab: doctor: argument --size")


@pytest.mark.parametrize(
    "argv", [(), ("doctor",), ("host", "setup"), ("class", "grade"), ("remote", "add")]
)
def test_help_is_in_the_chosen_language_with_a_pointer_to_the_other(cli, argv):
    en = cli(*argv, "--help", "--lang", "en")
    assert en.rc == 0 and "usage:" in en.out and "options:" in en.out
    assert "한국어 도움말과 메시지: --lang ko" in en.out
    ko = cli(*argv, "--help", env={"SNAPLAB_LANG": "ko"})
    assert ko.rc == 0 and "사용법:" in ko.out and "옵션:" in ko.out
    assert "English help and messages: --lang en" in ko.out
    assert "usage:" not in ko.out and "show this help" not in ko.out


def _hangul(words: str) -> bool:
    return any("\uac00" <= c <= "\ud7a3" for c in words)


def test_every_help_string_of_every_verb_has_its_korean():
    """A help string written as a plain str would stay English under --lang ko."""
    from snaplab.cli import POINTER, _every_verb, build_parser

    top = build_parser(lang="ko")
    english = []
    for parser in [top, *_every_verb(top)]:  # the pointer to English help is English
        said = [parser.description, (parser.epilog or "").removesuffix(POINTER["ko"]).strip()]
        for action in parser._actions:
            said.append(action.help)
            if action.option_strings and not action.help:  # a bare flag teaches nothing
                english.append(f"{parser.prog}: {action.option_strings} has no help")
            said += [c.help for c in getattr(action, "_choices_actions", [])]
        english += [
            f"{parser.prog}: {s[:50]}" for s in said if s and s != "==SUPPRESS==" and not _hangul(s)
        ]
    assert english == []


def test_korean_help_wraps_by_terminal_columns():
    """A Hangul syllable takes two columns: argparse's count of characters would overflow."""
    import unicodedata

    from snaplab.cli import _wrap_wide

    text = "도움말과 메시지의 언어: ko 또는 en (기본값: SNAPLAB_LANG 또는 로케일) " * 3
    lines = _wrap_wide(text, 40)
    assert len(lines) > 2 and " ".join(lines) == " ".join(text.split())
    for line in lines:
        assert sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line) <= 40


@pytest.mark.parametrize("lang, said", [("en", "did not answer"), ("ko", "응답하지 않습니다")])
def test_a_daemon_that_stops_answering_is_one_line_not_a_traceback(monkeypatch, capsys, lang, said):
    import requests

    from snaplab import cli as entry
    from snaplab.commands import labs

    def hang(args):
        raise requests.ReadTimeout("Read timed out. (read timeout=60)")

    monkeypatch.setattr(labs, "run", hang)
    rc = entry.main(["--lang", lang, "labs"])
    err = capsys.readouterr().err
    assert rc == ExitCode.DAEMON_DOWN
    assert len(err.strip().splitlines()) == 1 and said in err
