"""The guide site: pages rendered from the labs, outputs captured from real runs.

A guide typed by hand drifts from the lab it teaches and from what the daemons
really print. So every page that shows a command is rendered at build time from
labs/ (the same data `solve` and the checks use), and every output it shows was
captured by `snaplab guides capture`, which runs the very blocks the page shows,
in order, as the book's users, on both daemons. A capture whose commands no
longer match the lab stops the build instead of showing stale output.
"""

from __future__ import annotations

import json
import os
import pwd
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import date
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import jinja2

from snaplab.errors import ExitCode, SnaplabError
from snaplab.i18n import Text, both
from snaplab.lab import recorder
from snaplab.lab.model import Lab, lab_ids, load, placeholders
from snaplab.lab.model import render as command_line
from snaplab.paths import PACKAGE, data_dir

LANGS = ("ko", "en")  # ko first: the book's language and the site's default
BACKENDS = ("lxd", "incus")
TITLES = {"lxd": "LXD", "incus": "Incus"}
USERS = {"lxd": "lxdadmin", "incus": "incusadmin"}  # the books' own users
CLIENTS = {"lxd": "lxc", "incus": "incus"}
FIRST_PAGES = ("index", "before-you-start", "host")  # then the labs, then the rest
STEP_LINE = re.compile(r"^\s*(PASS|FAIL|PENDING)\s+(\d+)\. ")


@dataclass(frozen=True)
class Block:
    """One code block a learner types: the first line runs, the rest go to the shell it opens."""

    step: str  # a lab step's id, or start / grade / finish
    lines: tuple[str, ...]
    recorded: bool = False  # leaves a daemon event: wait for the recorder, as a person would
    expect_failure: str | None = None
    check: bool = False  # the `snaplab check` that proves the step before it

    @property
    def stdin(self) -> str | None:
        return "".join(s + "\n" for s in self.lines[1:]) or None


@dataclass
class Ran:
    lines: list[str]
    rc: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return "\n".join(s.rstrip("\n") for s in (self.stdout, self.stderr) if s.strip())


def blocks(lab: Lab, backend: str) -> list[Block]:
    """The lab page's blocks for one daemon's tab, in the order a learner types them."""
    flag = "" if backend == "lxd" else f" --backend {backend}"
    out = [Block("start", (f"snaplab start {lab.id}{flag}",))]
    for step in lab.steps:
        for cmd in step.commands[backend]:
            line = command_line(cmd, lab.params)
            out.append(Block(step.id, (line, *cmd.stdin), cmd.recorded, cmd.expect_failure))
        out.append(Block(step.id, (f"snaplab check {lab.id}",), check=True))
    out.append(Block("grade", (f"snaplab grade {lab.id}",)))
    out.append(Block("finish", (f"snaplab finish {lab.id}",)))
    return out


def retarget(line: str, lab: Lab, instance: str) -> str:
    """The page's line aimed at another container, so a real run never meets a learner's own.

    Every snaplab verb gets the container named too: a verb that fell back to the
    lab's default would act on whatever ubuntu-test a learner has.
    """
    line = re.sub(rf"(?<![\w.-]){re.escape(lab.instance)}(?![\w-])", instance, line)
    if line.startswith("snaplab ") and f" {lab.id}" in line and "--instance" not in line:
        line += f" --instance {instance}"
    return line


# -- running the blocks for real -------------------------------------------------------------


@dataclass
class Runner:
    """Types a tab's blocks as `user` into a fresh lab container, at a human pace."""

    lab: Lab
    backend: str
    user: str | None
    lang: str
    instance: str = field(default_factory=lambda: f"guide-{uuid.uuid4().hex[:10]}")
    state: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="guide-state-")))

    def __post_init__(self) -> None:
        if self.user and os.geteuid() == 0:
            os.chown(self.state, pwd.getpwnam(self.user).pw_uid, -1)

    @property
    def journal(self) -> Path:
        key = f"{self.lab.id}-{self.backend}-local-default-{self.instance}"
        return self.state / "snaplab" / key / "journal.jsonl"

    def env(self) -> dict[str, str]:
        home = f"/home/{self.user}" if self.user else os.environ.get("HOME", "/root")
        bindir = str(Path(sys.executable).parent)
        return {
            "HOME": home,
            "PATH": f"{bindir}:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
            "LANG": "C.UTF-8",
            "XDG_STATE_HOME": str(self.state),
            "SNAPLAB_LANG": self.lang,
            "USER": self.user or pwd.getpwuid(os.geteuid()).pw_name,
        }

    def argv(self, line: str) -> list[str]:
        argv = shlex.split(retarget(line, self.lab, self.instance))
        if argv[0] == "snaplab":  # the snaplab this is, wherever it is installed
            argv[0] = str(Path(sys.executable).parent / "snaplab")
        if self.user and os.geteuid() == 0:
            argv = ["runuser", "-u", self.user, "--", *argv]
        return argv

    def type(self, block: Block, timeout: float = 300) -> Ran:
        before = recorder.count_events(self.journal)
        done = subprocess.run(
            self.argv(block.lines[0]),
            input=block.stdin,
            capture_output=True,
            text=True,
            env=self.env(),
            cwd=self.state,
            timeout=timeout,
        )
        if block.recorded:
            recorder.caught_up(self.journal, before, timeout=5)
        back = self.lab.instance  # outputs say what the page says: ubuntu-test
        return Ran(
            list(block.lines),
            done.returncode,
            done.stdout.replace(self.instance, back),
            done.stderr.replace(self.instance, back),
        )

    def __enter__(self) -> Runner:
        return self

    def __exit__(self, *exc: object) -> None:
        """The page ends with `finish`; this is for a run that stopped half-way."""
        self.type(Block("finish", (f"snaplab finish {self.lab.id} --backend {self.backend}",)))
        shutil.rmtree(self.state, ignore_errors=True)


def proven(lab: Lab, todo: list[Block], ran: list[Ran]) -> list[str]:
    """What a run shows that the page would get wrong; empty when the run proves the page."""
    problems = []
    steps = [s.id for s in lab.steps]
    for block, r in zip(todo, ran, strict=True):
        where = f"{block.step}: `{block.lines[0]}`"
        if block.expect_failure is not None:
            if r.rc == 0 or block.expect_failure not in r.stderr:
                problems.append(f"{where} should fail with {block.expect_failure!r}")
        elif block.check:
            if check_line(r.stdout, steps.index(block.step) + 1)[0] != "PASS":
                problems.append(f"{where} does not pass step {block.step}")
        elif r.rc != 0 and not block.stdin:
            problems.append(f"{where} exited {r.rc}: {r.stderr.strip()}")
    grade, finish = ran[-2:]
    if grade.rc != 0 or finish.rc != 0:
        problems.append("the lab did not end with full marks and a clean finish")
    return problems


def check_line(output: str, number: int) -> tuple[str, str]:
    """A step's line in a `snaplab check` report: the page shows it, so it must say PASS."""
    for line in output.splitlines():
        m = STEP_LINE.match(line)
        if m and int(m.group(2)) == number:
            return m.group(1), line.strip()
    return "", ""


# -- capture -------------------------------------------------------------------------------


def _server_version(backend: str, user: str | None) -> str:
    argv = [CLIENTS[backend], "version"]
    if user and os.geteuid() == 0:
        argv = ["runuser", "-u", user, "--", *argv]
    done = subprocess.run(argv, capture_output=True, text=True, cwd="/tmp")
    m = re.search(r"Server version:\s*(\S+)", done.stdout)
    return f"{TITLES[backend]} {m.group(1) if m else '?'}"


def capture_lab(lab: Lab, backend: str, lang: str) -> dict[str, Any]:
    user = USERS[backend] if os.geteuid() == 0 else None
    todo = blocks(lab, backend)
    with Runner(lab, backend, user, lang) as runner:
        ran = [runner.type(block) for block in todo]
    problems = proven(lab, todo, ran)
    if problems:
        found = "; ".join(problems)
        raise SnaplabError(
            both(
                f"the {backend} run does not prove the guide: {found}",
                f"{backend} 실행으로 안내서를 증명하지 못했습니다: {found}",
            ),
            ExitCode.NOT_PASSING,
        )
    return {
        "lab": lab.id,
        "backend": backend,
        "lang": lang,
        "server": _server_version(backend, user),
        "user": user or runner.env()["USER"],
        "date": date.today().isoformat(),
        "blocks": [asdict(r) for r in ran],
    }


def _run_as(line: str, user: str | None, lang: str = "en") -> dict[str, Any]:
    argv = shlex.split(line.removeprefix("sudo "))
    argv[0] = str(Path(sys.executable).parent / argv[0])
    env = {**os.environ, "LANG": "C.UTF-8", "SNAPLAB_LANG": lang}
    if user:
        env["HOME"] = f"/home/{user}"
        argv = ["runuser", "-u", user, "--", *argv]
    done = subprocess.run(argv, capture_output=True, text=True, env=env, cwd="/tmp")
    return {**asdict(Ran([line], done.returncode, done.stdout, done.stderr)), "user": user}


def capture_host(lang: str) -> dict[str, Any]:
    """The host page's outputs in the page's language: the setup plan (a dry run: it changes
    nothing) and doctor."""
    setup = _run_as("sudo snaplab host setup --dry-run", None, lang)
    doctors = {}
    for backend in BACKENDS:
        doctors[backend] = _run_as(f"snaplab doctor --backend {backend}", USERS[backend], lang)
        if doctors[backend]["rc"] != 0:
            last = doctors[backend]["stdout"].strip().splitlines()[-1]
            raise SnaplabError(
                both(
                    f"snaplab doctor --backend {backend} says this host is not fit: {last}",
                    f"snaplab doctor --backend {backend}에 따르면 이 호스트는 실습에 적합하지 "
                    f"않습니다: {last}",
                ),
                ExitCode.NOT_PASSING,
            )
    return {"date": date.today().isoformat(), "setup": setup, "doctor": doctors}


def capture(into: Path, say: Callable[[Text], None]) -> list[Path]:
    """Run every lab page's blocks for real, both daemons, both languages, and store it all."""
    if os.geteuid() != 0:
        raise SnaplabError(
            both(
                "capture runs the labs as lxdadmin and incusadmin and the host setup plan: "
                "run it as root (sudo snaplab guides capture)",
                "capture는 lxdadmin과 incusadmin 사용자로 실습을 실행하므로 root로 실행해야 "
                "합니다(sudo snaplab guides capture)",
            ),
            ExitCode.PERMISSION,
        )
    labs = [load(i) for i in lab_ids()]
    runs = [(lab, b, lang) for lab in labs for b in BACKENDS for lang in LANGS]
    results: dict[Path, dict[str, Any]] = {}

    def one_backend(backend: str) -> None:  # LXD and Incus side by side: halves the wait
        for lab, b, lang in runs:
            if b == backend:
                say(
                    both(
                        f"capturing {lab.id} on {b} ({lang})", f"{b}에서 {lab.id} 캡처 중 ({lang})"
                    )
                )
                results[into / f"{lab.id}-{b}-{lang}.json"] = capture_lab(lab, b, lang)

    with ThreadPoolExecutor(max_workers=len(BACKENDS)) as pool:
        for f in [pool.submit(one_backend, b) for b in BACKENDS]:
            f.result()
    say(
        both(
            "capturing the host page (host setup --dry-run, doctor)",
            "호스트 페이지 캡처 중 (host setup --dry-run, doctor)",
        )
    )
    for lang in LANGS:
        results[into / f"host-{lang}.json"] = capture_host(lang)
    into.mkdir(parents=True, exist_ok=True)
    for path, doc in sorted(results.items()):
        path.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return sorted(results)


# -- render and build ------------------------------------------------------------------------


def _stale(path: Path, why: Text) -> SnaplabError:
    return SnaplabError(
        both(
            f"{path} {why.en}: refresh it with `sudo snaplab guides capture` (make capture)",
            f"{path}: {why.ko}. `sudo snaplab guides capture`(make capture)로 다시 캡처하세요",
        ),
        ExitCode.LAB_INVALID,
    )


MISSING = both("is missing", "파일이 없습니다")


def load_capture(lab: Lab, backend: str, lang: str, src: Path) -> dict[str, Any]:
    path = src / "captured" / f"{lab.id}-{backend}-{lang}.json"
    if not path.exists():
        raise _stale(path, MISSING)
    doc = json.loads(path.read_text(encoding="utf-8"))
    shown = [list(b.lines) for b in blocks(lab, backend)]
    if [b["lines"] for b in doc["blocks"]] != shown:
        raise _stale(
            path,
            both(
                "was captured for other commands than the lab's",
                "실습의 명령과 다른 명령으로 캡처되었습니다",
            ),
        )
    return doc


def lab_page(lab: Lab, lang: str, src: Path) -> dict[str, Any]:
    """What the lab template shows: per section, per daemon, each block with its real output."""
    tabs: dict[str, list[dict[str, Any]]] = {}
    servers = {}
    for backend in BACKENDS:
        doc = load_capture(lab, backend, lang, src)
        servers[backend] = {"server": doc["server"], "user": doc["user"], "date": doc["date"]}
        shown = []
        for block, ran in zip(blocks(lab, backend), doc["blocks"], strict=True):
            item = {**asdict(block), **ran, "output": Ran(**ran).output}
            if block.check:
                number = [s.id for s in lab.steps].index(block.step) + 1
                status, item["output"] = check_line(ran["stdout"], number)
                if status != "PASS":
                    raise _stale(
                        src / "captured" / f"{lab.id}-{backend}-{lang}.json",
                        both(
                            f"does not prove step {block.step}",
                            f"{block.step} 단계를 통과하지 못한 실행입니다",
                        ),
                    )
            shown.append(item)
        tabs[backend] = shown

    def section(step_id: str) -> dict[str, list[dict[str, Any]]]:
        return {b: [x for x in tabs[b] if x["step"] == step_id] for b in BACKENDS}

    steps = []
    for n, step in enumerate(lab.steps, 1):
        fill = placeholders(lab, lab.instance, lab.snapshot)
        hints = {
            b: step.hint.get(lang).format(**fill, command=command_line(step.commands[b][0], fill))
            for b in BACKENDS
        }
        steps.append({"n": n, "step": step, "tabs": section(step.id), "hints": hints})
    return {
        "lab": lab,
        "lang": lang,
        "t": lambda text: text.get(lang) if isinstance(text, Text) else text,
        "servers": servers,
        "start": section("start"),
        "steps": steps,
        "end": {b: section("grade")[b] + section("finish")[b] for b in BACKENDS},
        "backends": BACKENDS,
        "titles": TITLES,
        "users": USERS,
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
