"""Where labs come from: lab packs.

A pack is a folder laid out as this repository is: `labs/<id>/lab.yaml`,
`checks/test_<id>.py` and, optionally, `guides/captured/`. The repository's own
labs are the built-in pack. An instructor adds packs without reinstalling
anything, the way pytest finds plugins:

- `SNAPLAB_PATH=DIR[:DIR...]`: folders read where they are, so an edit takes
  effect at the next command;
- an installed distribution's entry point in the group `snaplab.labs`, as
  pytest plugins register through `pytest11`. Its object is the pack's folder
  (a str or Path), a module (its folder), or a function returning the folder.

Two labs with one id are an error naming both places: a silent shadow would
grade a learner against a lab nobody meant.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType

from snaplab.errors import ExitCode, SnaplabError
from snaplab.i18n import both
from snaplab.paths import data_dir

GROUP = "snaplab.labs"
BUILT_IN = "built-in"


@dataclass(frozen=True)
class Pack:
    root: Path
    origin: str  # what `snaplab labs` shows: built-in, SNAPLAB_PATH, or the entry point

    @property
    def captured(self) -> Path:
        return self.root / "guides" / "captured"

    def lab_files(self) -> list[Path]:
        return sorted((self.root / "labs").glob("*/lab.yaml"))


def packs() -> list[Pack]:
    """The built-in pack first, then SNAPLAB_PATH's folders in order, then installed packs."""
    found = [Pack(data_dir("labs").parent, BUILT_IN)]
    for entry in os.environ.get("SNAPLAB_PATH", "").split(os.pathsep):
        if entry:
            found.append(Pack(_folder(Path(entry), f"SNAPLAB_PATH ({entry})"), "SNAPLAB_PATH"))
    found += _installed()
    return found


def _installed() -> list[Pack]:
    found = []
    for ep in sorted(entry_points(group=GROUP), key=lambda e: e.name):
        where = f"entry point {GROUP}:{ep.name} ({ep.value})"
        try:
            obj = ep.load()
            root = obj() if callable(obj) else obj
            if isinstance(root, ModuleType):
                root = Path(str(root.__file__)).parent
        except Exception as e:  # a broken pack is its author's to fix: say which, in one line
            raise SnaplabError(
                both(f"{where} did not load: {e}", f"{where}을(를) 불러오지 못했습니다: {e}"),
                ExitCode.LAB_INVALID,
            ) from None
        found.append(
            Pack(_folder(Path(root), where), f"{ep.name} ({ep.dist.name if ep.dist else ep.value})")
        )
    return found


def _folder(path: Path, where: str) -> Path:
    """A folder without labs/ yet is an empty pack (`labs new` fills it); a missing one is
    a typo worth one line."""
    if not path.is_dir():
        raise SnaplabError(
            both(
                f"{where}: there is no folder {path}: make it, or correct SNAPLAB_PATH",
                f"{where}: {path} 폴더가 없습니다. 폴더를 만들거나 SNAPLAB_PATH를 고치세요",
            ),
            ExitCode.LAB_INVALID,
        )
    return path.resolve()


def index() -> dict[str, tuple[Pack, Path]]:
    """Every lab id, with its pack and lab.yaml; an id found twice is an error naming both."""
    return _index(tuple(packs()))


@cache
def _index(found: tuple[Pack, ...]) -> dict[str, tuple[Pack, Path]]:
    labs: dict[str, tuple[Pack, Path]] = {}
    for pack in found:
        for path in pack.lab_files():
            lab_id = path.parent.name
            if lab_id in labs and labs[lab_id][1] != path:
                first = labs[lab_id][1]
                raise SnaplabError(
                    both(
                        f"two labs are named {lab_id}: {first} and {path}; rename one",
                        f"{lab_id}(이)라는 실습이 두 개 있습니다: {first}, {path}. 하나의 이름을 바꾸세요",
                    ),
                    ExitCode.LAB_INVALID,
                )
            labs[lab_id] = (pack, path)
    return labs


def pack_of(path: Path) -> Pack | None:
    """The pack a check module sits in, found from the file alone: `pytest DIR/checks/x.py`
    grades DIR's lab even when DIR is not on SNAPLAB_PATH."""
    root = path.resolve().parent.parent
    known = next((p for p in packs() if p.root == root), None)
    if known is not None:
        return known
    return Pack(root, str(root)) if (root / "labs").is_dir() else None
