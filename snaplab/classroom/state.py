"""A class's own directory on this machine, and whether the class is set up here.

Light on purpose: `pytest --lab-roster` asks it as it configures, before it asks the daemons.
"""

from __future__ import annotations

from pathlib import Path

from snaplab.classroom.roster import Roster
from snaplab.errors import ExitCode, SnaplabError
from snaplab.i18n import both
from snaplab.paths import state_dir, writable_dir

RECORDERS = "recorders.json"  # the class's recorders' pids: setup writes it, teardown removes it


def class_path(roster: Roster) -> Path:
    """The class's directory, not made: where a look that changes nothing reads."""
    return state_dir() / f"class-{roster.name}"


def class_dir(roster: Roster) -> Path:
    return writable_dir(class_path(roster))


def not_set_up(roster: Roster, shown: str) -> SnaplabError | None:
    """Why this class cannot be followed or graded here, if it cannot: `class setup` never
    ran on this host, or `class teardown` has run since. `shown`: the roster as the
    instructor named it."""
    if (class_path(roster) / RECORDERS).exists():
        return None
    return SnaplabError(
        both(
            f"class {roster.name} is not set up here (or was torn down): run "
            f"`snaplab class setup {shown}` first",
            f"{roster.name} 수업이 이 호스트에 준비되어 있지 않습니다(또는 정리되었습니다): "
            f"먼저 `snaplab class setup {shown}`를 실행하세요",
        ),
        ExitCode.NOT_FOUND,
    )
