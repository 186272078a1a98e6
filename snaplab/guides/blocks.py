"""What a lab page shows, block by block: the one list capture runs and the site renders."""

from __future__ import annotations

import re
from dataclasses import dataclass

from snaplab.backends import BACKENDS
from snaplab.lab.model import Lab
from snaplab.lab.player import Line, script

LANGS = ("ko", "en")  # ko first: the book's language and the site's default
NAMES = tuple(BACKENDS)  # the tabs, in the order the site shows them
DEFAULT = "lxd"  # the CLI's --backend default: its tab's snaplab lines name no backend
STEP_LINE = re.compile(r"^\s*(PASS|FAIL|PENDING)\s+(\d+)\. ")


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


def blocks(lab: Lab, backend: str) -> list[Block]:
    """The lab page's blocks for one daemon's tab, in the order a learner types them."""
    flag = "" if backend == DEFAULT else f" --backend {backend}"
    out = [Block("start", (f"snaplab start {lab.id}{flag}",))]
    lines = script(lab, backend, lab.instance, lab.snapshot)
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
        out.append(Block(step.id, (f"snaplab check {lab.id}",), check=True))
    out.append(Block("grade", (f"snaplab grade {lab.id}",)))
    out.append(Block("finish", (f"snaplab finish {lab.id}",)))
    return out


def check_line(output: str, number: int) -> tuple[str, str]:
    """A step's line in a `snaplab check` report: the page shows it, so it must say PASS."""
    for line in output.splitlines():
        m = STEP_LINE.match(line)
        if m and int(m.group(2)) == number:
            return m.group(1), line.strip()
    return "", ""
