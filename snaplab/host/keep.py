"""A user's crontab and a lab's host files, as they were before a run that is not theirs.

`guides capture` and the tests type chapter 10 as the book's user: it adds a crontab line
and writes /usr/local/sbin/refreshcontainers.sh. Those are the user's own things when a
learner types them, but a capture or a test must leave the machine as it found it (and
no cron job behind that runs at 22:00). Only root can do this for another user.

The machine has one of each of those files, whichever daemon the run is on: two runs that
keep them at once would each put back what the other wrote. So runs take turns, machine
wide (a capture's LXD and Incus threads, two test workers), on one lock file.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from snaplab.errors import ExitCode, SnaplabError
from snaplab.i18n import both
from snaplab.lab import lock

TURNS = Path("/run/lock/snaplab-host-files.lock")  # /run/lock: Debian's, root's and tmpfs
TURN_WAIT = 1800.0  # seconds: a capture of chapter 10 takes about a minute a language


def crontab(user: str) -> str | None:
    """The user's crontab, or None when they have none."""
    done = subprocess.run(["crontab", "-l", "-u", user], capture_output=True, text=True)
    return done.stdout if done.returncode == 0 else None


def put_crontab(user: str, text: str | None) -> None:
    if text is None:
        subprocess.run(["crontab", "-r", "-u", user], capture_output=True)
    else:
        subprocess.run(["crontab", "-u", user, "-"], input=text, text=True, check=True)


@contextmanager
def kept(user: str | None, files: Sequence[str]) -> Iterator[None]:
    """Restore `user`'s crontab and `files` (their bytes and their absence) on the way out."""
    if not files or user is None:
        yield
        return
    with lock.exclusive(TURNS, TURN_WAIT, _still_held):
        with _restored(user, files):
            yield


def _still_held() -> SnaplabError:
    return SnaplabError(
        both(
            f"another run has kept this machine's lab files for {TURN_WAIT:.0f} s "
            f"({TURNS}): end it, or remove that lock file if nothing runs",
            f"다른 실행이 이 머신의 실습 파일을 {TURN_WAIT:.0f}초 동안 쓰고 있습니다"
            f"({TURNS}): 그 실행을 끝내거나, 실행 중인 것이 없다면 잠금 파일을 지우세요",
        ),
        ExitCode.CONFLICT,
    )


@contextmanager
def _restored(user: str, files: Sequence[str]) -> Iterator[None]:
    tab = crontab(user)
    saved = {Path(f): _read(Path(f)) for f in files}
    try:
        yield
    finally:  # the files first: a crontab that will not go back must not keep them changed
        for path, data in saved.items():
            if data is None:
                path.unlink(missing_ok=True)
            else:  # its owner and mode as well: chapter 10 sets both
                content, st = data
                path.write_bytes(content)
                os.chown(path, st.st_uid, st.st_gid)
                path.chmod(st.st_mode & 0o7777)
        put_crontab(user, tab)


def _read(path: Path) -> tuple[bytes, os.stat_result] | None:
    return (path.read_bytes(), path.stat()) if path.exists() else None
