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
    path = Path(base) / "snaplab"
    path.mkdir(parents=True, exist_ok=True)
    return path
