"""The guide site: rendered from the lab data, built strictly, and refused when it would lie."""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest
import yaml

from snaplab.backends import get_backend
from snaplab.errors import ExitCode, SnaplabError
from snaplab.guides import blocks as guide
from snaplab.guides import capture, site
from snaplab.lab.model import lab_ids, load
from snaplab.lab.player import script
from snaplab.lab.schema import validate
from snaplab.paths import data_dir
from tests.conftest import ROOT
from tests.unit.test_lab_packs import make_pack

LAB = load("snapshots")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> site.Built:
    return site.build(tmp_path_factory.mktemp("guide"))


@pytest.fixture
def src(tmp_path: Path) -> Path:
    """A copy of guides/ to break on purpose."""
    copied = tmp_path / "guides"
    shutil.copytree(data_dir("guides"), copied)
    return copied


def test_book_notes_are_texts_in_both_languages():
    doc = yaml.safe_load((data_dir("labs") / "snapshots" / "lab.yaml").read_text())
    assert validate(doc) == []
    assert LAB.book_note and LAB.steps[1].book_note  # the lab's, and `lxc info`'s table
    doc["book_note"] = {"en": "only English"}
    doc["steps"][1]["book_note"] = "not a mapping"
    doc["steps"][2]["book_note"] = {"en": "x", "ko": "y", "fr": "z"}
    assert validate(doc) == [
        "book_note.ko: missing",
        "steps[1].book_note: must map en and ko to text",
        "steps[2].book_note.fr: unknown language",
    ]


@pytest.mark.parametrize("backend", guide.NAMES)
def test_a_tab_opens_with_start_and_ends_with_grade_and_finish(backend):
    blocks = guide.blocks(LAB, backend)
    assert blocks[0].lines[0].startswith("snaplab start snapshots")
    assert [b.lines[0] for b in blocks[-2:]] == [
        "snaplab grade snapshots",
        "snaplab finish snapshots",
    ]
    commands = [b for b in blocks if b.step in {s.id for s in LAB.steps} and not b.check]
    assert [b.lines[0] for b in commands] == [
        line.text for line in script(LAB, backend, LAB.instance, LAB.snapshot)
    ]
    assert sum(b.check for b in blocks) == len(LAB.steps)  # one `snaplab check` per step
    refused = [b for b in blocks if b.expect_failure]
    assert [b.step for b in refused] == ["delete-refused"]


def test_retarget_aims_every_line_at_another_container():
    r = lambda line: capture.retarget(line, LAB, "guide-x1")  # noqa: E731
    assert r("lxc delete ubuntu-test/ubuntu-test-1") == "lxc delete guide-x1/ubuntu-test-1"
    assert r("incus snapshot create ubuntu-test ubuntu-test-1") == (
        "incus snapshot create guide-x1 ubuntu-test-1"
    )
    assert r("snaplab start snapshots --backend incus") == (
        "snaplab start snapshots --backend incus --instance guide-x1"
    )
    # a snaplab verb never falls back to a learner's own ubuntu-test
    assert r("snaplab finish snapshots") == "snaplab finish snapshots --instance guide-x1"
    assert r("touch this_file.txt") == "touch this_file.txt"


def test_the_strict_build_passes_in_both_languages(built):
    assert len(built.pages["ko"]) == len(built.pages["en"]) >= 5
    for page in ("index.html", "host/index.html", "labs/snapshots/index.html"):
        assert (built.site / page).is_file()
        assert (built.site / "en" / page).is_file()


def test_the_lab_page_shows_what_the_lab_data_says(built):
    docs = built.site.parent / "docs" / "labs"
    ko = (docs / "snapshots.ko.md").read_text()
    en = (docs / "snapshots.en.md").read_text()
    assert '!!! warning "주의"' in ko and '!!! warning "Warning"' in en
    assert '!!! note "책과 다른 점"' in ko and '!!! note "How this differs from the book"' in en
    assert ko.count('=== "LXD"') == ko.count('=== "Incus"') == len(LAB.steps) + 2
    for backend in guide.NAMES:
        for block in guide.blocks(LAB, backend):
            assert "\n    ".join(block.lines) in ko
    assert "| ubuntu-test-1 |" in ko and "TAKEN AT" in ko  # the table LXD 5 and Incus print
    assert "The instance is currently running, stop it first or pass --force" in en


def test_a_broken_link_fails_the_build(src, tmp_path):
    page = src / "pages" / "before-you-start.ko.md"
    page.write_text(page.read_text() + "\n[없는 페이지](nowhere.md)\n")
    with pytest.raises(SnaplabError) as caught:
        site.build(tmp_path / "out", src)
    assert caught.value.code == ExitCode.NOT_PASSING
    assert "nowhere.md" in str(caught.value)


def test_a_missing_translation_fails_the_build(src, tmp_path):
    (src / "pages" / "instructor.en.md.j2").unlink()
    with pytest.raises(SnaplabError) as caught:
        site.build(tmp_path / "out", src)
    assert "instructor.md" in str(caught.value)


def test_a_missing_text_fails_the_render(src, tmp_path):
    template = src / "lab.md.j2"
    template.write_text(template.read_text().replace("{{ L.hint }}", "{{ L.hint_missing }}"))
    with pytest.raises(Exception, match="hint_missing"):
        site.render(tmp_path / "out", src)


def test_a_capture_of_other_commands_is_stale(src, tmp_path):
    path = src / "captured" / "snapshots-incus-en.json"
    doc = json.loads(path.read_text())
    doc["blocks"][1]["lines"] = ["incus snapshot ubuntu-test ubuntu-test-1"]  # the old syntax
    path.write_text(json.dumps(doc))
    with pytest.raises(SnaplabError) as caught:
        site.render(tmp_path / "out", src)
    assert caught.value.code == ExitCode.LAB_INVALID
    assert "snapshots-incus-en.json" in str(caught.value) and "capture" in str(caught.value)


def test_a_capture_that_does_not_pass_a_step_is_refused(src, tmp_path):
    path = src / "captured" / "snapshots-lxd-ko.json"
    doc = json.loads(path.read_text())
    check = next(b for b in doc["blocks"] if b["lines"] == ["snaplab check snapshots"])
    check["stdout"] = check["stdout"].replace("PASS    1.", "FAIL    1.")
    path.write_text(json.dumps(doc))
    with pytest.raises(SnaplabError, match="snapshot-taken"):
        site.render(tmp_path / "out", src)


def test_the_host_page_shows_the_storage_figures_and_their_chart(built):
    docs = built.site.parent / "docs"
    figures = json.loads((data_dir("guides") / "captured" / "storage.json").read_text())
    for lang in ("ko", "en"):
        page = (docs / f"host.{lang}.md").read_text()
        assert f"](assets/storage.{lang}.svg)" in page
        assert (docs / "assets" / f"storage.{lang}.svg").is_file()
        assert figures["machine"] in page and figures["date"] in page
        first = figures["rows"][0]
        assert f"| {first['size_mib']} MiB | {first['snapshot']['median']:.2f} (" in page


def test_what_grows_with_size_is_worked_out_from_the_slopes(src):
    path = src / "captured" / "storage.json"
    doc = json.loads(path.read_text())
    doc["slopes"] = {
        "lxd": {
            "dir": {"snapshot": 0.45, "restore": 0.04, "downtime": 0.06},
            "btrfs": {"snapshot": 0.0, "restore": 0.0, "downtime": 0.01},
        }
    }
    path.write_text(json.dumps(doc))
    figures = site.storage_figures(src / "captured")
    assert [(g["driver"], g["op"]) for g in figures["growing"]] == [
        ("dir", "snapshot"),
        ("dir", "downtime"),
    ]
    assert figures["worst_downtime"] == max(r["downtime"]["median"] for r in doc["rows"])


def test_missing_storage_figures_say_how_to_measure_them(src, tmp_path):
    (src / "captured" / "storage.ko.svg").unlink()
    with pytest.raises(SnaplabError) as caught:
        site.render(tmp_path / "out", src)
    assert caught.value.code == ExitCode.LAB_INVALID
    assert "storage.ko.svg" in str(caught.value) and "make storage-figures" in str(caught.value)


def test_proven_reports_a_delete_that_was_not_refused():
    todo = guide.blocks(LAB, "lxd")
    doc = json.loads((data_dir("guides") / "captured" / "snapshots-lxd-en.json").read_text())
    ran = [guide.Ran(**b) for b in doc["blocks"]]
    assert capture.proven(LAB, todo, ran) == []
    bad = copy.deepcopy(ran)
    i = next(i for i, b in enumerate(todo) if b.expect_failure)
    bad[i].rc, bad[i].stderr = 0, ""
    assert capture.proven(LAB, todo, bad) == [
        "delete-refused: `lxc delete ubuntu-test` should have failed with "
        "'The instance is currently running'"
    ]


def test_the_cli_verb_is_listed(cli):
    r = cli("guides", "--help")
    assert r.rc == 0 and "build" in r.out and "capture" in r.out
    r = cli("guides", "capture", "--into", "/tmp/captured", user="lxdadmin")
    assert r.rc == ExitCode.PERMISSION and len(r.lines) == 1 and "root" in r.err


def test_capture_takes_one_lab_and_says_so(cli):
    r = cli("guides", "capture", "--help")
    assert r.rc == 0 and "--lab ID" in r.out and "re-capture this lab's page only" in r.out
    r = cli("guides", "capture", "--lab", "nosuchlab", "--into", "/tmp/captured")
    assert r.rc == ExitCode.USAGE and len(r.lines) == 1 and "nosuchlab" in r.err
    assert "snapshots" in r.err  # the usual line: it lists the labs there are


NEWCOMER = ROOT / "tests" / "integration" / "packs" / "newcomer"


@pytest.fixture
def pack(monkeypatch: pytest.MonkeyPatch) -> Path:
    """A newcomer's pack on SNAPLAB_PATH, not captured: golden-copy copies its snapshot into
    `{instance}-copy`."""
    monkeypatch.setenv("SNAPLAB_PATH", str(NEWCOMER))
    return NEWCOMER


def test_a_run_renders_the_lab_with_its_own_names(pack):
    """`{instance}-copy` names the run's copy: no text replacement of the container's name
    could reach it, and the copy of one run would meet the next."""
    lab = load("golden-copy")
    for backend in guide.NAMES:
        page = [b.lines for b in guide.blocks(lab, backend)]
        run = [b.lines for b in guide.blocks(lab, backend, "guide-x1")]
        cli = get_backend(backend).cli
        assert (f"{cli} copy heldout/golden heldout-copy",) in page
        assert (f"{cli} copy guide-x1/golden guide-x1-copy",) in run
        verbs = [lines[0] for lines in run if lines[0].startswith("snaplab ")]
        assert len(verbs) == len(lab.steps) + 3 and all(
            v.endswith(" --instance guide-x1") for v in verbs
        )
        assert not any("--instance" in lines[0] for lines in page)


def test_a_run_never_names_a_labs_own_container():
    """What a capture types never touches a learner's ubuntu-test on the same daemon."""
    for lab_id in lab_ids():
        lab = load(lab_id)
        own = re.compile(rf"(?<![\w.-]){re.escape(lab.instance)}(?![\w-])")
        for backend in guide.NAMES:
            for block in guide.blocks(lab, backend, "guide-x1"):
                typed = block.line.text if block.line else block.lines[0]
                assert not own.search(typed), (lab_id, typed)


def test_a_lab_not_captured_yet_gets_a_page_with_its_commands(pack, tmp_path):
    """A lab just written builds: its page shows the commands and says, in both languages,
    that their outputs are still to be captured, and how."""
    built = site.build(tmp_path / "out")
    lab = load("golden-copy")
    docs = built.site.parent / "docs"
    note = {"ko": "출력을 아직 캡처하지 않았습니다", "en": "Outputs not captured yet"}
    command = "sudo SNAPLAB_PATH=$SNAPLAB_PATH snaplab guides capture --lab golden-copy"
    for lang in guide.LANGS:
        page = (docs / "labs" / f"golden-copy.{lang}.md").read_text()
        assert f'!!! info "{note[lang]}"' in page and f"`{command}`" in page
        for backend in guide.NAMES:
            for block in guide.blocks(lab, backend):
                assert "\n    ".join(block.lines) in page
        assert "lxc copy heldout/golden heldout-copy" in page
        assert "labs/golden-copy.md" in built.pages[lang]
        assert "(labs/golden-copy.md)" in (docs / f"index.{lang}.md").read_text()
        assert (
            built.site / ("" if lang == "ko" else "en") / "labs/golden-copy/index.html"
        ).is_file()
    assert (
        "labs/golden-copy.md"
        in yaml.safe_load((built.site.parent / "mkdocs.yml").read_text())["nav"]
    )
    snapshots = (docs / "labs" / "snapshots.en.md").read_text()
    assert note["en"] not in snapshots and "Outputs captured from a real run" in snapshots


def _captured_as(pack: Path, lab_id: str, backend: str, lang: str) -> Path:
    """Chapter 8's capture, as if of a pack's copy of chapter 8 named `lab_id`."""
    doc = json.loads(
        (data_dir("guides") / "captured" / f"snapshots-{backend}-{lang}.json").read_text()
    )
    for block in doc["blocks"]:
        block["lines"] = [
            re.sub(r"^(snaplab \w+) snapshots", rf"\1 {lab_id}", x) for x in block["lines"]
        ]
    path = pack / "guides" / "captured" / f"{lab_id}-{backend}-{lang}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc))
    return path


def test_a_packs_captures_are_read_from_the_pack(tmp_path, monkeypatch):
    monkeypatch.setenv("SNAPLAB_PATH", str(make_pack(tmp_path / "pack", "my-lab")))
    for backend in guide.NAMES:
        for lang in guide.LANGS:
            last = _captured_as(tmp_path / "pack", "my-lab", backend, lang)
    site.render(tmp_path / "out")
    page = (tmp_path / "out" / "docs" / "labs" / "my-lab.en.md").read_text()
    assert "Outputs captured from a real run" in page and "Outputs not captured yet" not in page
    assert "The instance is currently running, stop it first or pass --force" in page
    last.unlink()  # some captures but not all: a capture gone wrong, not a lab just written
    with pytest.raises(SnaplabError) as caught:
        site.render(tmp_path / "out")
    assert caught.value.code == ExitCode.LAB_INVALID
    assert str(last) in str(caught.value) and "guides capture --lab my-lab" in str(caught.value)


def test_a_packs_lab_is_captured_into_its_pack(pack):
    assert guide.captured(load("golden-copy"), capture.CHECKOUT) == pack / "guides" / "captured"
    assert guide.captured(LAB, capture.CHECKOUT) == capture.CHECKOUT


def test_a_run_removes_only_what_is_in_its_own_namespace():
    assert capture.ours("guide-ab12", "guide-ab12") and capture.ours(
        "guide-ab12-copy", "guide-ab12"
    )
    assert not capture.ours("guide-ab123", "guide-ab12")
    assert not capture.ours("ubuntu-test-copy", "guide-ab12")


@pytest.mark.skipif(os.geteuid() != 0, reason="only root's files are given away")
def test_what_capture_writes_into_a_pack_is_its_authors(tmp_path):
    os.chown(tmp_path, 65534, 65534)  # the pack's author
    path = tmp_path / "guides" / "captured" / "x-lxd-ko.json"
    capture.write(path, "{}\n")
    for made in (path, path.parent, path.parent.parent):
        assert (made.stat().st_uid, made.stat().st_gid) == (65534, 65534)


def test_a_packs_lab_is_captured_with_no_checkout(cli):
    """Its outputs go into its pack: the checkout's guides/ is needed only for the built-in
    labs and the host page (the CLI runs in /tmp)."""
    root = Path(tempfile.mkdtemp(prefix="snaplab-pack-"))
    try:
        root.chmod(0o755)  # the book's user reads it
        packs = {"SNAPLAB_PATH": str(shutil.copytree(NEWCOMER, root / "newcomer"))}
        r = cli("guides", "capture", "--lab", "golden-copy", user="lxdadmin", env=packs)
        assert r.rc == ExitCode.PERMISSION and len(r.lines) == 1 and "root" in r.err
        r = cli("guides", "capture", user="lxdadmin", env=packs)
        assert r.rc == ExitCode.USAGE and "guides does not exist" in r.err
    finally:
        shutil.rmtree(root)
