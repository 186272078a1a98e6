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
