"""A capture or a test that types chapter 10 leaves the user's crontab and the lab's files
as they were: bytes, mode and absence."""

import os
import shutil
import threading

import pytest

from snaplab.host.keep import crontab, kept, put_crontab

needs_root = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("crontab") is None, reason="root and crontab"
)
USER = "nobody"  # a user of every Debian with no crontab of its own


@needs_root
def test_the_crontab_and_a_changed_file_come_back(tmp_path):
    script = tmp_path / "refreshcontainers.sh"
    script.write_text("mine\n")
    script.chmod(0o600)
    put_crontab(USER, "# theirs\n")
    try:
        with kept(USER, [str(script)]):
            put_crontab(USER, "00 22 * * * /bin/true > /dev/null 2>&1\n")
            script.write_text("the lab's\n")
            script.chmod(0o755)
        assert crontab(USER) == "# theirs\n"
        assert script.read_text() == "mine\n" and script.stat().st_mode & 0o777 == 0o600
    finally:
        put_crontab(USER, None)


@needs_root
def test_no_crontab_and_no_file_stay_none(tmp_path):
    script = tmp_path / "refreshcontainers.sh"
    with kept(USER, [str(script)]):
        put_crontab(USER, "00 22 * * * /bin/true\n")
        script.write_text("the lab's\n")
    assert crontab(USER) is None and not script.exists()


@needs_root
def test_two_runs_take_turns_on_the_machines_files(tmp_path, monkeypatch):
    """Two runs at once would each put back what the other wrote: the second waits."""
    monkeypatch.setattr("snaplab.host.keep.TURNS", tmp_path / "turns.lock")
    script = tmp_path / "refreshcontainers.sh"
    order: list[str] = []
    inside = threading.Event()

    def second() -> None:
        with kept(USER, [str(script)]):
            order.append("second in")

    with kept(USER, [str(script)]):
        order.append("first in")
        other = threading.Thread(target=second)
        other.start()
        inside.wait(0.3)  # time enough for the second to get in, were it let in
        order.append("first out")
    other.join()
    assert order == ["first in", "first out", "second in"]
