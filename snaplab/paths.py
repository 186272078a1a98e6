"""Where snaplab's data and a learner's lab state live.

labs/, checks/ and guides/ sit at the top of the repository; a wheel carries
them as snaplab/_data/. Looking in the wheel's place first means an installed
snaplab never reads a stray checkout.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


def data_dir(kind: str) -> Path:
    for candidate in (PACKAGE / "_data" / kind, PACKAGE.parent / kind):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"snaplab's {kind}/ is missing from this installation")


def state_dir() -> Path:
    """Per user: the evidence journal must survive anything done to the container."""
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(
        os.path.expanduser("~"), ".local", "state"
    )
    return writable_dir(Path(base) / "snaplab")


def writable_dir(path: Path) -> Path:
    """Make sure this user can keep records here, or say so in one line (never a traceback)."""
    if os.access(path, os.W_OK | os.X_OK):  # there already, and ours: one look, no mkdir (a
        return path  # class's grade asks for its sessions' directories thousands of times)
    from snaplab.errors import ExitCode, SnaplabError
    from snaplab.i18n import both

    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise SnaplabError(
            both(
                f"cannot create snaplab's state directory {path} ({e.strerror}): "
                "set XDG_STATE_HOME to a directory you own",
                f"snaplab 상태 디렉터리 {path}을(를) 만들 수 없습니다({e.strerror}): "
                "XDG_STATE_HOME을 본인이 소유한 디렉터리로 지정하세요",
            ),
            ExitCode.PERMISSION,
        ) from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise SnaplabError(
            both(
                f"snaplab's state directory {path} is not writable by you: "
                "set XDG_STATE_HOME to a directory you own",
                f"snaplab 상태 디렉터리 {path}에 쓸 권한이 없습니다: "
                "XDG_STATE_HOME을 본인이 소유한 디렉터리로 지정하세요",
            ),
            ExitCode.PERMISSION,
        )
    return path
