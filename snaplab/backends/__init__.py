"""Which daemon: LXD or Incus. One name -> object map, one small file each.

Everything that differs between the two daemons (binaries, socket, group,
package suite) lives in these records, so no other module says "if incus". A lab's
other daemons (the snapshot server) are a registry of their own: snaplab/daemons.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from snaplab.backends.incus import INCUS
from snaplab.backends.lxd import LXD
from snaplab.backends.record import Backend
from snaplab.errors import ExitCode, SnaplabError
from snaplab.i18n import Text, both

T = TypeVar("T")


BACKENDS: dict[str, Backend] = {b.name: b for b in (LXD, INCUS)}
NAMES = tuple(BACKENDS)  # argparse choices and roster checks: a third daemon is one file
PICKS = (*NAMES, "all")  # what `pick` takes


def trust_commands() -> Text:
    """Each daemon's way to make a trust token, for a message that does not know which it is."""
    commands = [f"`{b.trust_add}`" for b in BACKENDS.values()]
    return both(" or ".join(commands), " 또는 ".join(commands))


def get_backend(name: str) -> Backend:
    return lookup(BACKENDS, name, both("backend", "백엔드"))


def lookup(registry: Mapping[str, T], name: str, kind: Text) -> T:
    """A registry's record by name (BACKENDS, snaplab.daemons.DAEMONS), or one line naming
    the ones there are."""
    try:
        return registry[name]
    except KeyError:
        known = ", ".join(registry)
        raise SnaplabError(
            both(
                f"unknown {kind.en} {name!r}: use one of {known}",
                f"알 수 없는 {kind.ko} {name!r}입니다: {known} 중 하나를 사용하세요",
            ),
            ExitCode.USAGE,
        ) from None


def pick(name: str) -> list[Backend]:
    """`all` means both, in a fixed order."""
    return list(BACKENDS.values()) if name == "all" else [get_backend(name)]
