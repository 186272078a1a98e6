"""Lab packs: labs found outside the package, without reinstalling (snaplab/lab/packs.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from snaplab.errors import ExitCode, SnaplabError
from snaplab.lab import model, packs
from snaplab.paths import data_dir
from snaplab.pytest_plugin import lab_of


def make_pack(root: Path, lab_id: str, chapter: int | None = None) -> Path:
    """A pack holding chapter 8 under another id: a lab that loads, as a newcomer's would."""
    doc = yaml.safe_load((data_dir("labs") / "snapshots" / "lab.yaml").read_text())
    doc["id"], doc["checks"] = lab_id, f"test_{lab_id.replace('-', '_')}.py"
    doc.pop("chapter")
    if chapter is not None:
        doc["chapter"] = chapter
    (root / "labs" / lab_id).mkdir(parents=True)
    (root / "labs" / lab_id / "lab.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True))
    (root / "checks").mkdir(exist_ok=True)
    checks = (data_dir("checks") / "test_snapshots.py").read_text()
    (root / "checks" / doc["checks"]).write_text(checks)
    return root


def test_a_pack_on_snaplab_path_lists_after_the_book_and_loads(tmp_path, monkeypatch):
    make_pack(tmp_path, "my-lab")
    monkeypatch.setenv("SNAPLAB_PATH", str(tmp_path))
    assert model.lab_ids()[-1] == "my-lab"  # no chapter: after the book's
    lab = model.load("my-lab")
    assert lab.home == tmp_path.resolve() and lab.origin == "SNAPLAB_PATH"
    assert lab.checks == tmp_path.resolve() / "checks" / "test_my_lab.py"


def test_an_edit_is_read_at_the_next_load(tmp_path, monkeypatch):
    make_pack(tmp_path, "my-lab")
    monkeypatch.setenv("SNAPLAB_PATH", str(tmp_path))
    path = tmp_path / "labs" / "my-lab" / "lab.yaml"
    path.write_text(path.read_text().replace("Container snapshots", "Edited title"))
    assert model.load("my-lab").title.en == "Edited title"


def test_chapters_order_the_book_and_labs_without_one_come_last(tmp_path, monkeypatch):
    make_pack(tmp_path, "early", chapter=1)
    make_pack(tmp_path, "a-late")
    monkeypatch.setenv("SNAPLAB_PATH", str(tmp_path))
    ids = model.lab_ids()
    book = [i for i in ids if model.load(i).chapter]  # the built-in backups lab has none either
    assert ids[0] == "early" and ids.index("a-late") > max(map(ids.index, book))


def test_two_labs_with_one_id_are_an_error_naming_both(tmp_path, monkeypatch):
    one, two = make_pack(tmp_path / "one", "twin"), make_pack(tmp_path / "two", "twin")
    monkeypatch.setenv("SNAPLAB_PATH", f"{one}:{two}")
    with pytest.raises(SnaplabError) as caught:
        model.load("twin")
    assert caught.value.code == ExitCode.LAB_INVALID
    assert str(one.resolve()) in str(caught.value) and str(two.resolve()) in str(caught.value)


def test_a_pack_may_not_shadow_a_built_in_lab(tmp_path, monkeypatch):
    monkeypatch.setenv("SNAPLAB_PATH", str(make_pack(tmp_path, "snapshots")))
    with pytest.raises(SnaplabError, match="two labs are named snapshots"):
        model.lab_ids()


def test_a_missing_folder_on_snaplab_path_is_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("SNAPLAB_PATH", str(tmp_path / "nowhere"))
    with pytest.raises(SnaplabError) as caught:
        model.lab_ids()
    assert caught.value.code == ExitCode.LAB_INVALID and "no folder" in str(caught.value)


class EntryPoint:
    name, value, dist = "course", "course:PACK", None

    def __init__(self, root: Path) -> None:
        self.root = root

    def load(self) -> object:
        return lambda: self.root


def test_an_installed_pack_registers_through_its_entry_point(tmp_path, monkeypatch):
    make_pack(tmp_path, "course-lab")
    monkeypatch.setattr(packs, "entry_points", lambda group: [EntryPoint(tmp_path)])
    lab = model.load("course-lab")
    assert lab.home == tmp_path.resolve() and lab.origin.startswith("course")


def test_plain_pytest_finds_a_packs_lab_from_the_check_file_alone(tmp_path, monkeypatch):
    make_pack(tmp_path, "my-lab")
    monkeypatch.delenv("SNAPLAB_PATH", raising=False)
    found = lab_of(tmp_path / "checks" / "test_my_lab.py")
    assert found is not None and found.id == "my-lab"
    assert lab_of(data_dir("checks") / "test_snapshots.py").id == "snapshots"
    assert lab_of(tmp_path / "checks" / "test_other.py") is None
