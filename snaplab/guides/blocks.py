"""What a lab page shows, block by block: the one list capture runs and the site renders."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from snaplab.backends import BACKENDS
from snaplab.lab.model import Lab
from snaplab.lab.packs import BUILT_IN
from snaplab.lab.player import Line, script

LANGS = ("ko", "en")  # ko first: the book's language and the site's default
NAMES = tuple(BACKENDS)  # the tabs, in the order the site shows them
DEFAULT = "lxd"  # the CLI's --backend default: its tab's snaplab lines name no backend
STEP_LINE = re.compile(r"^\s*(PASS|FAIL|PENDING)\s+(\d+)\. ")


def captured(lab: Lab, built_in: Path) -> Path:
    """Where a lab's captured outputs live: a pack's in its own guides/captured, so the
    pack carries its page; the built-in labs' in `built_in` (the repository's
    guides/captured, or a copy of it)."""
    return built_in if lab.origin == BUILT_IN else lab.home / "guides" / "captured"


@dataclass(frozen=True)
class Block:
    """One code block a learner types: the first line runs, the rest go to the shell it opens."""

    step: str  # a lab step's id, or start / grade / finish
    lines: tuple[str, ...]
    recorded: bool = False  # leaves a daemon event: wait for the recorder, as a person would
    expect_failure: str | None = None
    check: bool = False  # the `snaplab check` that proves the step before it
    line: Line | None = None  # a lab command: typed with what earlier ones saved (a token)
    shell: bool = False  # the first line opens a shell the other lines are typed into


@dataclass
class Ran:
    lines: list[str]
    rc: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return "\n".join(s.rstrip("\n") for s in (self.stdout, self.stderr) if s.strip())


def blocks(lab: Lab, backend: str, instance: str | None = None) -> list[Block]:
    """The lab page's blocks for one daemon's tab, in the order a learner types them.

    `instance`: a capture's own container instead of the lab's default. The lab's
    commands are rendered with it, so a parameter built from it (`{instance}-copy`)
    names the capture's copy too, and every snaplab verb names it: a verb that fell
    back to the default would act on whatever ubuntu-test a learner has. The page
    shows the blocks without it."""
    flag = "" if backend == DEFAULT else f" --backend {backend}"
    own = f" --instance {instance}" if instance else ""
    out = [Block("start", (f"snaplab start {lab.id}{flag}{own}",))]
    lines = script(lab, backend, instance or lab.instance, lab.snapshot)
    for step in lab.steps:
        for line in (x for x in lines if x.step == step.id):
            cmd = line.command
            out.append(
                Block(
                    step.id,
                    line.shown,
                    cmd.recorded,
                    cmd.expect_failure,
                    line=line,
                    shell=cmd.shell,
                )
            )
        out.append(Block(step.id, (f"snaplab check {lab.id}{own}",), check=True))
    out.append(Block("grade", (f"snaplab grade {lab.id}{own}",)))
    out.append(Block("finish", (f"snaplab finish {lab.id}{own}",)))
    return out


def check_line(output: str, number: int) -> tuple[str, str]:
    """A step's line in a `snaplab check` report: the page shows it, so it must say PASS."""
    for line in output.splitlines():
        m = STEP_LINE.match(line)
        if m and int(m.group(2)) == number:
            return m.group(1), line.strip()
    return "", ""
