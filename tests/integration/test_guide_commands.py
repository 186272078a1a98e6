"""Every command block of the lab guide, taken from the generated page, runs as the page says.

The LXD tab runs as lxdadmin on LXD and the Incus tab as incusadmin on Incus, in
order, against a fresh lab container of their own (a `guide-…` name, a state
directory of their own), so a learner's ubuntu-test on the same daemons is never met:
the page's text is aimed there as pasted (retarget).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from snaplab.backends import get_backend
from snaplab.guides import blocks as guide
from snaplab.guides import site
from snaplab.guides.capture import Runner, retarget
from snaplab.host.keep import kept
from snaplab.lab.model import load

pytestmark = pytest.mark.integration

LAB = load("snapshots")
TAB = re.compile(r'^=== "(.+)"$')
EXIT = re.compile(r"(?:exit code|종료 코드) (\d+)")
BOOK_REFUSAL = "Error: The instance is currently running, stop it first or pass --force"


def page_blocks(markdown: str) -> dict[str, list[tuple[tuple[str, ...], int | None]]]:
    """The page as a learner reads it: per tab, each `sh` block and the exit code shown after it."""
    tabs: dict[str, list[tuple[tuple[str, ...], int | None]]] = {}
    tab = None
    lines = iter(markdown.splitlines())
    for line in lines:
        if m := TAB.match(line):
            tab = m.group(1)
            tabs.setdefault(tab, [])
        elif line.strip() and not line.startswith(" "):
            tab = None  # anything flush left ends the tab's content
        elif tab and line.strip() == "``` sh":
            body = []
            for inner in lines:
                if inner.strip() == "```":
                    break
                body.append(inner[4:])
            tabs[tab].append((tuple(body), None))
        elif tab and (m := EXIT.search(line)) and tabs[tab] and tabs[tab][-1][1] is None:
            tabs[tab][-1] = (tabs[tab][-1][0], int(m.group(1)))
    return tabs


@pytest.fixture(scope="module")
def docs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("guide")
    site.render(out)
    return out / "docs" / "labs"


@pytest.fixture(scope="module")
def pages(docs: Path) -> dict[str, dict]:
    return {lang: page_blocks((docs / f"snapshots.{lang}.md").read_text()) for lang in guide.LANGS}


def test_both_languages_show_the_same_blocks_the_lab_data_gives(pages):
    assert pages["ko"] == pages["en"]
    for backend in guide.NAMES:
        shown = pages["en"][get_backend(backend).title]
        assert [lines for lines, _ in shown] == [b.lines for b in guide.blocks(LAB, backend)]
        assert all(rc is not None for _, rc in shown), "every block says how it exits"


@pytest.mark.parametrize("backend", guide.NAMES)
def test_every_block_runs_in_order_and_exits_as_the_page_says(pages, backend):
    if os.geteuid() != 0:
        pytest.skip("running as the book's users needs root (runuser)")
    shown = pages["ko"][get_backend(backend).title]
    todo = guide.blocks(LAB, backend)  # only for what the page cannot say: when to wait
    user = get_backend(backend).user
    with Runner(LAB, backend, user, "ko") as me:
        assert Path(me.state).stat().st_uid != 0  # the user's own state directory
        aim = lambda lines: tuple(retarget(x, LAB, me.instance) for x in lines)  # noqa: E731
        for (lines, rc), block in zip(shown, todo, strict=True):
            if block.step == "finish":
                # after the last block before finish: full marks
                r = me.type(guide.Block("check", aim(["snaplab check snapshots --json"])))
                report = json.loads(r.stdout)
                assert r.rc == 0 and report["score"] == report["max_score"] == 14, report
            ran = me.type(guide.Block(block.step, aim(lines), block.recorded))
            assert ran.rc == rc, f"`{lines[0]}` exited {ran.rc}, the page says {rc}: {ran.stderr}"
            if block.expect_failure:
                assert BOOK_REFUSAL in ran.stderr, ran.stderr
            if block.check:
                number = [s.id for s in LAB.steps].index(block.step) + 1
                assert guide.check_line(ran.stdout, number)[0] == "PASS", ran.stdout
        assert ran.stdout.strip() == "삭제함: ubuntu-test"  # finish removed the lab container


@pytest.mark.parametrize("backend", guide.NAMES)
def test_chapter_10s_page_pasted_into_bash_earns_full_marks(docs, backend):
    """Chapter 10's blocks as a learner pastes them into bash: the heredoc that writes the
    script, the crontab line, and the token the block before printed in place of TOKEN."""
    if os.geteuid() != 0:
        pytest.skip("running as the book's users needs root (runuser)")
    lab = load("automating")
    shown = page_blocks((docs / "automating.ko.md").read_text())[get_backend(backend).title]
    assert [lines for lines, _ in shown] == [b.lines for b in guide.blocks(lab, backend)]
    user = get_backend(backend).user
    token = "TOKEN"
    with kept(user, lab.host_files), Runner(lab, backend, user, "ko") as me:
        for lines, rc in shown[:-2]:  # grade and finish: the full marks are asked below
            typed = tuple(retarget(x, lab, me.instance).replace("TOKEN", token) for x in lines)
            block = typed if typed[0].startswith("snaplab ") else ("bash", *typed)
            ran = me.type(guide.Block("pasted", block))
            assert ran.rc == rc, f"`{lines[0]}` exited {ran.rc}, the page says {rc}: {ran.stderr}"
            if " trust add " in lines[0]:
                token = ran.stdout.split()[-1]  # what the learner copies from the screen
        r = me.type(
            guide.Block("check", (f"snaplab check automating --json --instance {me.instance}",))
        )
        report = json.loads(r.stdout)
        assert r.rc == 0 and report["score"] == report["max_score"] == 10, report
