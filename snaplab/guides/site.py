"""`snaplab guides build`: the pages rendered from the labs and the captures, then mkdocs.

Rendering refuses what would make a page lie: a capture of other commands than
the lab's, a run that did not pass a step, a page without its translation.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import jinja2

from snaplab.backends import BACKENDS
from snaplab.errors import ExitCode, SnaplabError
from snaplab.guides.blocks import LANGS, NAMES, Ran, blocks, captured, check_line
from snaplab.i18n import Text, both
from snaplab.lab.model import Lab, fill, lab_ids, load, placeholders
from snaplab.paths import PACKAGE, data_dir

FIRST_PAGES = ("index", "before-you-start", "host")  # then the labs, then the rest
TITLES = {b.name: b.title for b in BACKENDS.values()}


def capture_command(lab: Lab) -> str:
    """How to capture one lab's page: sudo drops SNAPLAB_PATH, so a lab found there says
    to keep it."""
    keep = "SNAPLAB_PATH=$SNAPLAB_PATH " if lab.origin == "SNAPLAB_PATH" else ""
    return f"sudo {keep}snaplab guides capture --lab {lab.id}"


def _stale(path: Path, why: Text, lab: Lab | None = None) -> SnaplabError:
    run = capture_command(lab) if lab else "sudo snaplab guides capture"
    make = "" if lab else " (make capture)"  # every lab's page, from the checkout
    return SnaplabError(
        both(
            f"{path} {why.en}: refresh it with `{run}`{make}",
            f"{path}: {why.ko}. 다시 캡처하세요: `{run}`{make}",
        ),
        ExitCode.LAB_INVALID,
    )


MISSING = both("is missing", "파일이 없습니다")


def capture_files(lab: Lab, src: Path) -> dict[tuple[str, str], Path]:
    """A lab's captures, per daemon and language: the built-in labs' in `src`/captured,
    a pack's lab's in its own pack."""
    where = captured(lab, src / "captured")
    return {(b, lang): where / f"{lab.id}-{b}-{lang}.json" for b in NAMES for lang in LANGS}


def load_capture(lab: Lab, backend: str, lang: str, src: Path) -> dict[str, Any]:
    path = capture_files(lab, src)[backend, lang]
    if not path.exists():
        raise _stale(path, MISSING, lab)
    doc = json.loads(path.read_text(encoding="utf-8"))
    shown = [list(b.lines) for b in blocks(lab, backend)]
    if [b["lines"] for b in doc["blocks"]] != shown:
        raise _stale(
            path,
            both(
                "was captured for other commands than the lab's",
                "실습의 명령과 다른 명령으로 캡처되었습니다",
            ),
            lab,
        )
    return doc


def uncaptured(lab: Lab, src: Path) -> bool:
    """No capture at all: a lab just written. Its page shows the commands and says their
    outputs are still to be captured. Some captures but not all is a capture gone wrong,
    and stops the build as a stale one does."""
    return not any(path.exists() for path in capture_files(lab, src).values())


def _shown(lab: Lab, backend: str, doc: dict[str, Any] | None, path: Path) -> list[dict[str, Any]]:
    """Each block of a tab with what it printed (`doc`, from `path`); with nothing before
    the lab is captured."""
    if doc is None:
        return [{**asdict(block), "rc": None, "output": ""} for block in blocks(lab, backend)]
    shown = []
    for block, ran in zip(blocks(lab, backend), doc["blocks"], strict=True):
        item = {**asdict(block), **ran, "output": Ran(**ran).output}
        if block.check:
            number = [s.id for s in lab.steps].index(block.step) + 1
            status, item["output"] = check_line(ran["stdout"], number)
            if status != "PASS":
                raise _stale(
                    path,
                    both(
                        f"does not prove step {block.step}",
                        f"{block.step} 단계를 통과하지 못한 실행입니다",
                    ),
                    lab,
                )
        shown.append(item)
    return shown


def lab_page(lab: Lab, lang: str, src: Path) -> dict[str, Any]:
    """What the lab template shows: per section, per daemon, each block with its real output
    (none yet, and the page says so, for a lab not captured yet)."""
    files = capture_files(lab, src)
    docs = {} if uncaptured(lab, src) else {b: load_capture(lab, b, lang, src) for b in NAMES}
    tabs = {b: _shown(lab, b, docs.get(b), files[b, lang]) for b in NAMES}
    servers = {b: {k: doc[k] for k in ("server", "user", "date")} for b, doc in docs.items()}

    def section(step_id: str) -> dict[str, list[dict[str, Any]]]:
        return {b: [x for x in tabs[b] if x["step"] == step_id] for b in NAMES}

    steps = []
    for n, step in enumerate(lab.steps, 1):
        tabs_now = section(step.id)  # a hint names the step's first command, as the tab shows it
        hints = {
            b: fill(
                step.hint,
                {
                    **placeholders(lab, b, lab.instance, lab.snapshot),
                    "command": tabs_now[b][0]["lines"][0],
                },
            ).get(lang)
            for b in NAMES
        }
        steps.append({"n": n, "step": step, "tabs": tabs_now, "hints": hints})
    return {
        "lab": lab,
        "lang": lang,
        "t": lambda text: text.get(lang) if isinstance(text, Text) else text,
        "captured": bool(servers),
        "capture": capture_command(lab),
        "servers": servers,
        "start": section("start"),
        "steps": steps,
        "end": {b: section("grade")[b] + section("finish")[b] for b in NAMES},
        "backends": NAMES,
        "titles": TITLES,
    }


def _environment(src: Path) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(src),
        undefined=jinja2.StrictUndefined,  # a missing text fails the build, never renders blank
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )


def config_file() -> Path:
    for candidate in (PACKAGE / "_data" / "mkdocs.yml", PACKAGE.parent / "mkdocs.yml"):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError("snaplab's mkdocs.yml is missing from this installation")


GROWS_OVER = 0.05  # seconds per 100 MiB: below this, an operation is called flat


def storage_figures(captured: Path) -> dict[str, Any]:
    """`make bench --publish`'s storage run, with what the host page says of it worked out."""
    path = captured / "storage.json"
    missing = [p for p in (path, *(captured / f"storage.{x}.svg" for x in LANGS)) if not p.exists()]
    if missing:
        raise SnaplabError(
            both(
                f"{missing[0]} is missing: measure it with `make storage-figures` "
                "(the storage section of make bench, published to guides/captured/)",
                f"{missing[0]} 파일이 없습니다: `make storage-figures`(make bench의 storage "
                "구간을 guides/captured/에 기록)로 측정하세요",
            ),
            ExitCode.LAB_INVALID,
        )
    data = json.loads(path.read_text(encoding="utf-8"))
    data["grows_over"] = GROWS_OVER
    data["growing"] = [
        {"backend": be, "driver": d, "op": op, "slope": slope}
        for be, per in data["slopes"].items()
        for d, ops in per.items()
        for op, slope in ops.items()
        if slope > GROWS_OVER
    ]
    data["worst_downtime"] = max(r["downtime"]["median"] for r in data["rows"])
    return data


def render(out: Path, src: Path | None = None) -> dict[str, list[str]]:
    """Write out/docs (the Markdown) and out/mkdocs.yml (the site config with its nav)."""
    src = src or data_dir("guides")
    docs = out / "docs"
    shutil.rmtree(docs, ignore_errors=True)
    docs.mkdir(parents=True)
    env = _environment(src)
    labs = [load(i) for i in lab_ids()]
    hosts = {}
    for lang in LANGS:
        host_json = src / "captured" / f"host-{lang}.json"
        if not host_json.exists():
            raise _stale(host_json, MISSING)
        hosts[lang] = json.loads(host_json.read_text(encoding="utf-8"))
    storage = storage_figures(src / "captured")
    (docs / "assets").mkdir()
    for lang in LANGS:
        shutil.copyfile(
            src / "captured" / f"storage.{lang}.svg", docs / "assets" / f"storage.{lang}.svg"
        )
    pages: dict[str, list[str]] = {lang: [] for lang in LANGS}
    for page in sorted((src / "pages").iterdir()):
        m = re.fullmatch(r"(.+)\.(ko|en)\.md(\.j2)?", page.name)
        if not m:
            continue
        name, lang, template = m.groups()
        target = docs / f"{name}.{lang}.md"
        if template:
            context = {
                "lang": lang, "labs": labs, "host": hosts[lang], "storage": storage, "titles": TITLES,
            }  # fmt: skip
            text = env.get_template(f"pages/{page.name}").render(context)
            target.write_text(text, encoding="utf-8")
        else:
            shutil.copyfile(page, target)
        pages[lang].append(f"{name}.md")
    for lab in labs:
        (docs / "labs").mkdir(exist_ok=True)
        for lang in LANGS:
            text = env.get_template("lab.md.j2").render(lab_page(lab, lang, src)).lstrip()
            (docs / "labs" / f"{lab.id}.{lang}.md").write_text(text, encoding="utf-8")
            pages[lang].append(f"labs/{lab.id}.md")
    missing = set(pages["ko"]) ^ set(pages["en"])
    if missing:
        raise SnaplabError(
            both(
                f"pages without a translation: {', '.join(sorted(missing))} (every page needs "
                f".ko.md and .en.md)",
                f"번역이 없는 페이지: {', '.join(sorted(missing))} (모든 페이지에 .ko.md와 "
                f".en.md가 필요합니다)",
            ),
            ExitCode.LAB_INVALID,
        )
    first = [f"{p}.md" for p in FIRST_PAGES if f"{p}.md" in pages["ko"]]
    labs_nav = [f"labs/{lab.id}.md" for lab in labs]
    rest = sorted(set(pages["ko"]) - set(first) - set(labs_nav))
    (out / "mkdocs.yml").write_text(
        "# Generated by `snaplab guides build`: the top-level mkdocs.yml, with this build's\n"
        "# folders and a nav that lists every lab in labs/.\n"
        + json.dumps(
            {
                "INHERIT": str(config_file()),
                "docs_dir": "docs",
                "site_dir": "site",
                "nav": first + labs_nav + rest,
            },
            ensure_ascii=False,
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    return pages


@dataclass
class Built:
    site: Path
    pages: dict[str, list[str]]
    seconds: float


def build(out: Path, src: Path | None = None) -> Built:
    """Render, then `mkdocs build --strict`: a broken link or a missing page fails the build."""
    if find_spec("mkdocs") is None or find_spec("material") is None:
        raise SnaplabError(
            both(
                "mkdocs-material is not installed here: pip install 'snaplab[docs]' (make site)",
                "이 환경에는 mkdocs-material이 설치되어 있지 않습니다: "
                "pip install 'snaplab[docs]' (make site)",
            ),
            ExitCode.NOT_FOUND,
        )
    began = time.monotonic()
    out = out.resolve()
    pages = render(out, src)
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--clean"]
        + ["--config-file", str(out / "mkdocs.yml")],
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    if done.returncode != 0:
        said = [ln for ln in done.stderr.splitlines() if ln.startswith(("WARNING", "ERROR"))]
        why = " | ".join(said or done.stderr.splitlines()[-3:])
        raise SnaplabError(
            both(
                f"mkdocs build --strict failed: {why}",
                f"mkdocs build --strict가 실패했습니다: {why}",
            ),
            ExitCode.NOT_PASSING,
        )
    return Built(out / "site", pages, time.monotonic() - began)
