"""A lab's own tests on a daemon this user cannot use: skipped with the reason, or failed in
one line when the daemon is down, before any project is made. No daemon."""

from __future__ import annotations

import pytest

from snaplab import pytest_plugin
from snaplab.errors import ExitCode, SnaplabError
from snaplab.i18n import both


def problem(code: ExitCode):
    said = both("user lxdadmin may not use the socket", "lxdadmin 사용자는 소켓을 쓸 수 없습니다")
    return lambda backend: SnaplabError(said, code)


def test_a_daemon_this_user_may_not_use_skips_with_the_reason(monkeypatch):
    monkeypatch.setattr("snaplab.transports.local.socket_problem", problem(ExitCode.PERMISSION))
    with pytest.raises(pytest.skip.Exception, match="소켓을 쓸 수 없습니다"):
        pytest_plugin.reachable("incus", "ko")


def test_a_daemon_that_is_down_fails_in_one_line(monkeypatch):
    monkeypatch.setattr("snaplab.transports.local.socket_problem", problem(ExitCode.DAEMON_DOWN))
    with pytest.raises(pytest.fail.Exception, match="may not use the socket") as e:
        pytest_plugin.reachable("lxd", "en")
    assert e.value.pytrace is False


def test_a_daemon_this_user_can_use_goes_on(monkeypatch):
    monkeypatch.setattr("snaplab.transports.local.socket_problem", lambda backend: None)
    assert pytest_plugin.reachable("lxd", "en") is None
