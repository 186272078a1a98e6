"""`snaplab guides capture`: run a lab page's blocks for real and store what they print.

The outputs a page shows are only worth showing if the very commands it shows
produced them, as the book's users, on both daemons, in a run that earned full
marks; so nothing is written unless every run proves its page.
"""

from __future__ import annotations

import json
import os
import pwd
import re
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from snaplab.backends import Backend, get_backend
from snaplab.errors import ExitCode, SnaplabError
from snaplab.guides.blocks import LANGS, NAMES, Block, Ran, blocks, captured, check_line
from snaplab.host.keep import kept
from snaplab.i18n import Text, both
from snaplab.lab.journal import Session
from snaplab.lab.model import Lab, lab_ids, load
from snaplab.lab.player import Player, fault
from snaplab.lab.runner import daemon_clients
from snaplab.lab.runner import sweep as remove_run
from snaplab.transports import Target, connect


def retarget(line: str, lab: Lab, instance: str) -> str:
    """A page's line, as pasted, aimed at another container: for a test that types the
    page's own text. The capture does not need it: it renders the lab's commands with its
    own names (blocks(lab, backend, instance)), which no text replacement can do for a
    name built from the container's (`{instance}-copy`).
    """
    line = re.sub(rf"(?<![\w.-]){re.escape(lab.instance)}(?![\w-])", instance, line)
    if line.startswith("snaplab ") and f" {lab.id}" in line and "--instance" not in line:
        line += f" --instance {instance}"
    return line


def as_user(user: str | None) -> str | None:
    """Only root may type as another user; anyone else types as themself."""
    return user if user and os.geteuid() == 0 else None


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
        self.conf.mkdir(mode=0o700)
        if user := as_user(self.user):
            os.chown(self.state, pwd.getpwnam(user).pw_uid, -1)
            os.chown(self.conf, pwd.getpwnam(user).pw_uid, -1)

    @property
    def journal(self) -> Path:
        session = Session(self.lab.id, self.backend, "default", self.instance)
        return session.journal_under(self.state / "snaplab")

    @property
    def conf(self) -> Path:
        """A lab on two daemons adds a remote and a trust: in a client config of its own
        (LXD_CONF / INCUS_CONF), never in the book's user's own."""
        return self.state / "client"

    def env(self) -> dict[str, str]:
        home = f"/home/{self.user}" if self.user else os.environ.get("HOME", "/root")
        bindir = str(Path(sys.executable).parent)
        own = {get_backend(self.backend).conf_env: str(self.conf)} if self.lab.daemons else {}
        if packs := os.environ.get("SNAPLAB_PATH"):  # a pack's lab: the verbs typed know it
            own["SNAPLAB_PATH"] = packs
        return {
            **own,
            "HOME": home,
            "PATH": f"{bindir}:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
            "LANG": "C.UTF-8",
            "XDG_STATE_HOME": str(self.state),
            "SNAPLAB_LANG": self.lang,
            "USER": self.user or pwd.getpwuid(os.geteuid()).pw_name,
        }

    def blocks(self) -> list[Block]:
        """This run's blocks: the page's, rendered with this run's container."""
        return blocks(self.lab, self.backend, self.instance)

    def type(self, block: Block, shown: tuple[str, ...] | None = None) -> Ran:
        """Type `block` as it is (a run's block names this run's container: self.blocks()).
        A lab line is typed with what earlier ones saved (the real token); the run keeps
        `shown`, the lines the page shows (the lab's names, TOKEN as the lab declares it)."""
        player = Player(user=as_user(self.user), env=self.env(), cwd=self.state, wait=5)
        journal = self.journal if block.recorded else None
        line = block.line.text if block.line else block.lines[0]
        if block.line:
            done = player.play(block.line, journal)
        else:
            done = player.type(line, block.lines[1:], journal)
        waits = next((s.waits for s in self.lab.steps if s.id == block.step), 0)
        deadline = time.monotonic() + waits
        while block.check and waits and not self.passed(block, done.stdout):
            if time.monotonic() > deadline:  # the page then says what the daemon did not do
                break
            time.sleep(10)  # the daemon finishes this step on its own: look again, as a person
            done = player.type(line, (), None)
        back = self.lab.instance  # outputs say what the page says: ubuntu-test
        return Ran(
            list(shown or block.lines),
            done.returncode,
            done.stdout.replace(self.instance, back),
            done.stderr.replace(self.instance, back),
        )

    def passed(self, block: Block, out: str) -> bool:
        steps = [s.id for s in self.lab.steps]
        return check_line(out, steps.index(block.step) + 1)[0] == "PASS"

    def __enter__(self) -> Runner:
        return self

    def __exit__(self, *exc: object) -> None:
        """The page ends with `finish`, which removes the run's container and every copy made
        of it; this is for a run that stopped half-way: the next run must not meet what it
        made (a copy under a name of the lab's own)."""
        own = f"--backend {self.backend} --instance {self.instance}"
        try:
            self.type(Block("finish", (f"snaplab finish {self.lab.id} {own}",)))
            sweep(self.lab, self.backend, self.instance)
        finally:
            if self.lab.daemons:
                from snaplab.host import snapshot_server

                snapshot_server.forget(get_backend(self.backend), self.conf)
            shutil.rmtree(self.state, ignore_errors=True)


def sweep(lab: Lab, backend: str, instance: str) -> list[str]:
    """What the run made that its typed `finish` left (a run stopped before `start` was
    done): every instance carrying the labels of this run, as `finish` removes them."""
    conn = connect(Target(backend))
    clients = {"": conn.client, **daemon_clients(lab, conn.backend, strict=False)}
    return remove_run(lab, Session(lab.id, backend, "default", instance), clients).removed


def proven(lab: Lab, todo: list[Block], ran: list[Ran]) -> list[str]:
    """What a run shows that the page would get wrong; empty when the run proves the page."""
    problems = []
    steps = [s.id for s in lab.steps]
    for block, r in zip(todo, ran, strict=True):
        where = f"{block.step}: `{block.lines[0]}`"
        if block.check:
            if check_line(r.stdout, steps.index(block.step) + 1)[0] != "PASS":
                problems.append(f"{where} does not pass step {block.step}")
        elif wrong := fault(r.rc, r.stderr, block.expect_failure, block.shell):
            problems.append(f"{where} {wrong.en}")
    grade, finish = ran[-2:]
    if grade.rc != 0 or finish.rc != 0:
        problems.append("the lab did not end with full marks and a clean finish")
    return problems


def _server_version(backend: Backend, user: str | None) -> str:
    done = Player(user=user, cwd="/tmp").type(f"{backend.cli} version")
    m = re.search(r"Server version:\s*(\S+)", done.stdout)
    return f"{backend.title} {m.group(1) if m else '?'}"


def capture_lab(lab: Lab, backend: str, lang: str) -> dict[str, Any]:
    user = as_user(get_backend(backend).user)
    todo = blocks(lab, backend)
    # a lab that writes files the machine has one of (chapter 10's script): its LXD and
    # Incus runs take turns there (kept), while the other labs' runs go on side by side
    with kept(user, lab.host_files), Runner(lab, backend, user, lang) as runner:
        typed = zip(runner.blocks(), todo, strict=True)  # its own names, the page's lines
        ran = [runner.type(block, shown.lines) for block, shown in typed]
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
        "server": _server_version(get_backend(backend), user),
        "user": user or runner.env()["USER"],
        "date": date.today().isoformat(),
        "blocks": [asdict(r) for r in ran],
    }


def _run_as(line: str, user: str | None, lang: str = "en") -> dict[str, Any]:
    env = {**os.environ, "LANG": "C.UTF-8", "SNAPLAB_LANG": lang}
    if user:
        env["HOME"] = f"/home/{user}"
    done = Player(user=user, env=env, cwd="/tmp").type(line.removeprefix("sudo "))
    return {**asdict(Ran([line], done.returncode, done.stdout, done.stderr)), "user": user}


def capture_host(lang: str) -> dict[str, Any]:
    """The host page's outputs in the page's language: the setup plan (a dry run: it changes
    nothing) and doctor."""
    setup = _run_as("sudo snaplab host setup --dry-run", None, lang)
    doctors = {}
    for name in NAMES:
        doctors[name] = _run_as(f"snaplab doctor --backend {name}", get_backend(name).user, lang)
        if doctors[name]["rc"] != 0:
            last = doctors[name]["stdout"].strip().splitlines()[-1]
            raise SnaplabError(
                both(
                    f"snaplab doctor --backend {name} says this host is not fit: {last}",
                    f"snaplab doctor --backend {name}에 따르면 이 호스트는 실습에 적합하지 "
                    f"않습니다: {last}",
                ),
                ExitCode.NOT_PASSING,
            )
    return {"date": date.today().isoformat(), "setup": setup, "doctor": doctors}


CHECKOUT = Path("guides/captured")  # the built-in labs' and the host page's, in a checkout


def capture(
    into: Path | None, say: Callable[[Text], None], lab_id: str | None = None
) -> list[Path]:
    """Run the lab pages' blocks for real, both daemons, both languages, and store it all.

    `lab_id`: that lab's page only, after changing one lab; the host page comes with
    every lab, as it does not depend on any one of them. `into`: where every file goes;
    None: a pack's lab into its pack, the rest into the checkout's guides/captured.
    """
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
    labs = [load(i) for i in ([lab_id] if lab_id else lab_ids())]
    runs = [(lab, b, lang) for lab in labs for b in NAMES for lang in LANGS]
    results: dict[Path, dict[str, Any]] = {}

    def one_backend(backend: str) -> None:  # LXD and Incus side by side: halves the wait
        for lab, b, lang in runs:
            if b == backend:
                say(
                    both(
                        f"capturing {lab.id} on {b} ({lang})", f"{b}에서 {lab.id} 캡처 중 ({lang})"
                    )
                )
                where = into or captured(lab, CHECKOUT)
                results[where / f"{lab.id}-{b}-{lang}.json"] = capture_lab(lab, b, lang)

    with ThreadPoolExecutor(max_workers=len(NAMES)) as pool:
        for f in [pool.submit(one_backend, b) for b in NAMES]:
            f.result()
    if lab_id is None:
        say(
            both(
                "capturing the host page (host setup --dry-run, doctor)",
                "호스트 페이지 캡처 중 (host setup --dry-run, doctor)",
            )
        )
        for lang in LANGS:
            results[(into or CHECKOUT) / f"host-{lang}.json"] = capture_host(lang)
    for path, doc in sorted(results.items()):
        write(path, json.dumps(doc, ensure_ascii=False, indent=2) + "\n")
    return sorted(results)


def write(path: Path, text: str) -> None:
    """Owned by whoever owns the folder it goes in: capture runs as root, and a pack's
    author must be able to replace or remove what it wrote into their pack."""
    made = [d for d in (path.parent, *path.parent.parents) if not d.exists()]
    owner = (made[-1].parent if made else path.parent).stat()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    if os.geteuid() == 0 and owner.st_uid != 0:
        for p in (path, *made):
            os.chown(p, owner.st_uid, owner.st_gid)
