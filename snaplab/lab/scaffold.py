"""`snaplab labs new`: a pack lab that works as made, to be edited, as `molecule init
scenario` makes a scenario. It loads, lists, starts, grades 0 before and full marks after
`solve` on both daemons, and comes with its tests: a newcomer edits working code."""

from __future__ import annotations

from pathlib import Path
from string import Template

from snaplab.errors import ExitCode, SnaplabError
from snaplab.i18n import both
from snaplab.lab import packs
from snaplab.lab.schema import ID

TEMPLATES = Path(__file__).parent / "templates"


def files(lab_id: str) -> dict[str, str]:
    """Each file of the new lab, by its path in the pack, as text."""
    module = f"test_{lab_id.replace('-', '_')}"
    names = {"id": lab_id, "module": module}

    def fill(template: str) -> str:
        return Template((TEMPLATES / template).read_text(encoding="utf-8")).substitute(names)

    return {
        f"labs/{lab_id}/lab.yaml": fill("lab.yaml.tmpl"),
        f"checks/{module}.py": fill("checks.py.tmpl"),
        f"tests/{module}_checks.py": fill("test_checks.py.tmpl"),
        f"tests/{module}_lab.py": fill("test_lab.py.tmpl"),
    }


def new(lab_id: str, folder: Path) -> list[Path]:
    """Write the lab into the pack at `folder`; refuse before writing anything that exists."""
    if not ID.match(lab_id) or lab_id.endswith("-") or len(lab_id) > 40:
        raise SnaplabError(
            both(
                f"{lab_id!r} is not a lab id: use lower-case letters, digits and dashes, "
                "up to 40, beginning with a letter",
                f"{lab_id!r}은(는) 실습 id로 쓸 수 없습니다: 영문 소문자, 숫자, 대시로 40자까지, "
                "영문자로 시작하세요",
            ),
            ExitCode.USAGE,
        )
    known = packs.index().get(lab_id)
    if known is not None:
        raise SnaplabError(
            both(
                f"a lab named {lab_id} exists already ({known[1]}): choose another id",
                f"{lab_id} 실습이 이미 있습니다({known[1]}): 다른 id를 고르세요",
            ),
            ExitCode.USAGE,
        )
    made = {folder / path: text for path, text in files(lab_id).items()}
    taken = [str(p) for p in made if p.exists()]
    if taken:
        raise SnaplabError(
            both(
                f"not overwriting {', '.join(taken)}: choose another id or --dir",
                f"{', '.join(taken)}을(를) 덮어쓰지 않습니다: 다른 id나 --dir을 고르세요",
            ),
            ExitCode.USAGE,
        )
    try:
        for path, text in made.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    except OSError as e:
        raise SnaplabError(
            both(
                f"cannot write the lab into {folder} ({e.strerror}): use --dir with a folder you own",
                f"{folder}에 실습을 쓸 수 없습니다({e.strerror}): 본인 소유의 폴더를 --dir로 지정하세요",
            ),
            ExitCode.PERMISSION,
        ) from None
    return list(made)
