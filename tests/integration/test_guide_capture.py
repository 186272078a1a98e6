"""`guides capture` on the real daemons, for the newcomer's pack lab (golden-copy: a
snapshot, renamed golden, copied into `{instance}-copy`).

The capture types the lab's commands rendered with its own container's name, so the
copy is the run's own (guide-…-copy) while the page shows heldout-copy; and what a run
made is gone before the next: the Korean run's copy once made the English run fail
("instances entry already exists").
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from snaplab.guides import blocks as guide
from snaplab.guides.capture import capture_lab
from snaplab.instance import LABEL
from snaplab.lab.model import load
from snaplab.lab.owner import owner_label
from snaplab.transports import Target, connect
from tests.integration.test_lab_packs import NEWCOMER, readable_copy

pytestmark = pytest.mark.integration

LAB_ID = "golden-copy"


@pytest.fixture
def pack(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """On SNAPLAB_PATH, where the book's users can read it: they type the capture's verbs.
    Not under pytest's tmp_path: another pytest run makes /tmp/pytest-of-root root's alone
    again at any time."""
    home = Path(tempfile.mkdtemp(prefix="snaplab-pack-"))
    home.chmod(0o755)  # mkdtemp's is 0700: the book's users must reach the pack inside
    try:
        monkeypatch.setenv("SNAPLAB_PATH", str(readable_copy(NEWCOMER, home / "newcomer")))
        yield home / "newcomer"
    finally:
        shutil.rmtree(home)


def left(backend: str) -> list[str]:
    """Instances still carrying the lab's label: none may outlive a run."""
    found = connect(Target(backend)).client.instances.all()
    return [i.name for i in found if i.config.get(LABEL) == owner_label(LAB_ID)]


@pytest.mark.parametrize("backend", guide.NAMES)
def test_a_capture_renders_its_own_names_and_leaves_nothing(pack, backend):
    if os.geteuid() != 0:
        pytest.skip("capture types as the book's users: root only (runuser)")
    lab = load(LAB_ID)
    shown = [list(b.lines) for b in guide.blocks(lab, backend)]
    for lang in guide.LANGS:  # the second run would meet the first's copy, were it left
        doc = capture_lab(lab, backend, lang)
        assert [b["lines"] for b in doc["blocks"]] == shown  # the page's lines: the lab's names
        copied = next(b for b in doc["blocks"] if " copy " in b["lines"][0])
        assert copied["lines"][0].endswith(" heldout/golden heldout-copy")
        assert copied["rc"] == 0, copied["stderr"]
        grade = doc["blocks"][-2]
        assert grade["rc"] == 0 and "heldout-copy" in grade["stdout"]  # the copy's step, passed
        assert "guide-" not in str(doc["blocks"])  # outputs say what the page says
        assert left(backend) == []
