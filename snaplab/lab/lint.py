"""`snaplab labs lint`: every error of a lab at once, before any daemon is touched.

Loading a lab stops at its errors too (exit 7), but an author fixing a new lab wants the
whole list in one go, and a few rules only an author needs: the id matches its folder.
"""

from __future__ import annotations

from pathlib import Path

from snaplab.errors import SnaplabError
from snaplab.lab import model, packs


def lint(lab_id: str) -> tuple[Path, list[str]]:
    """The lab's lab.yaml, and its errors (none: it loads as written)."""
    found = packs.index().get(lab_id)
    if found is None:
        model.load(lab_id)  # raises: "unknown lab", with the known ones, exit 2
    pack, path = packs.index()[lab_id]
    try:
        doc = model.read(path)
    except SnaplabError as e:
        return path, [e.render("en")]  # the YAML parser's own words, as the schema's
    errors = model.problems(doc, pack)
    if isinstance(doc, dict) and doc.get("id") != lab_id:
        errors.append(f"id: {doc.get('id')!r} must be the lab's folder name, {lab_id!r}")
    return path, errors
