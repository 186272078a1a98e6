"""`class serve` and `class watch` refuse bad input in one line, before anything listens."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from snaplab.errors import ExitCode
from tests.unit.test_classroom_cli import env, one_line_error, roster  # noqa: F401 - fixtures


@pytest.fixture
def set_up(env, tmp_path: Path) -> None:  # noqa: F811
    """What `class setup` leaves that serve looks for: the class's recorders file."""
    d = tmp_path / "state" / "snaplab" / "class-ko101"
    d.mkdir(parents=True)
    (d / "recorders.json").write_text("[]")


@pytest.mark.parametrize("verb", ["serve", "watch"])
def test_a_class_never_set_up(cli, env, roster, verb):  # noqa: F811
    line = one_line_error(cli("class", verb, str(roster), env=env), ExitCode.NOT_FOUND)
    assert "class ko101 is not set up here" in line and "snaplab class setup" in line


@pytest.mark.parametrize("verb", ["serve", "watch"])
def test_a_bad_roster(cli, env, tmp_path, verb):  # noqa: F811
    bad = tmp_path / "ko101.csv"
    bad.write_text("id,name,target\nkim,A,nowhere\n", encoding="utf-8")
    one_line_error(cli("class", verb, str(bad), env=env), ExitCode.USAGE)


@pytest.mark.parametrize("stuck", ["soon", "0", "-5m", "5d"])
def test_a_bad_stuck_time(cli, env, roster, set_up, stuck):  # noqa: F811
    line = one_line_error(cli("class", "watch", str(roster), f"--stuck={stuck}", env=env), 2)
    assert "--stuck" in line


@pytest.mark.parametrize("where", ["8765", "localhost", "127.0.0.1:99999", ":80", "x:-1"])
def test_a_bad_listen_address(cli, env, roster, set_up, where):  # noqa: F811
    line = one_line_error(cli("class", "serve", str(roster), "--listen", where, env=env), 2)
    assert "--listen" in line


def test_a_port_taken(cli, env, roster, set_up):  # noqa: F811
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    with taken:
        r = cli("class", "serve", str(roster), "--listen", f"127.0.0.1:{port}", env=env)
    line = one_line_error(r, ExitCode.CONFLICT)
    assert f"cannot listen on 127.0.0.1:{port}" in line


def test_korean(cli, env, roster):  # noqa: F811
    r = cli("class", "serve", str(roster), "--lang", "ko", env=env)
    line = one_line_error(r, ExitCode.NOT_FOUND)
    assert "수업이 이 호스트에 준비되어 있지 않습니다" in line
