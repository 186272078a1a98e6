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
def test_help_stays_english_with_one_korean_pointer(cli, argv):
    r = cli(*argv, "--help")
    assert r.rc == 0
    assert "한국어 메시지: --lang ko (또는 SNAPLAB_LANG=ko)" in r.out
    assert "--lang" in r.out


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
