"""Typing a lab's commands as a learner would, in one place.

`solve`, `guides capture` and the tests all type the guide's commands. Each used
to decide for itself how a line is split, where `--project` goes, how a shell
gets its lines, what the expected failure looks like and when to wait for the
recorder; when those answers drift apart, the guide proves one thing and
`solve` another.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from snaplab.i18n import Text, both
from snaplab.lab import pacing
from snaplab.lab.model import Command, Lab, Step, placeholders, render, render_stdin

HUNG = 300  # seconds: no guide command takes near this long; a hung client is said, not waited


ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")  # `LXD_DIR=/var/lib/lxd-snapshot lxc ...`

# LXD 5.0.2 (Debian 12's) now and then answers a plain `lxc stop` with "Failed shutting down
# instance, status is Running: shutting down the container failed" while the container is
# halting as asked: liblxc's wait for init's exit gives up when a signal interrupts it (its
# poll is not restarted), and LXD reads the status at once. The container stops all the
# same, a moment later. LXD 5.0.3 no longer waits in liblxc (its commit 5dea55bb13). A person
# sees it stop with `lxc list`; so does this, rather than call the step failed.
STOP_RACE = "shutting down the container failed"
STOPPED_WITHIN = 30.0  # seconds: busybox's init takes about 2 s to halt


@dataclass(frozen=True)
class Line:
    """A step's command, with what the lab says of it.

    A script's lines share one `params`: a command that `saves` a value (a trust token)
    sets it there, so a later line reads the value only once that command has run. Until
    then it reads as the lab declares it (`TOKEN`), which is what the guide page shows."""

    step: str
    command: Command
    params: dict[str, str]

    @property
    def text(self) -> str:
        return render(self.command, self.params)

    @property
    def stdin(self) -> tuple[str, ...]:
        return render_stdin(self.command, self.params)

    @property
    def shown(self) -> tuple[str, ...]:
        """The lines a page shows: a heredoc as a shell reads it, else the command and what
        is typed into the shell it opens."""
        if self.command.heredoc:
            return (f"{self.text} <<'EOF'", *self.stdin, "EOF")
        return (self.text, *self.stdin)


def script(
    lab: Lab, backend: str, instance: str, snapshot: str, steps: Sequence[Step] | None = None
) -> list[Line]:
    """The one caller of `render`: how a command becomes a line changes here only."""
    fill = placeholders(lab, backend, instance, snapshot)
    return [
        Line(step.id, cmd, fill)
        for step in (lab.steps if steps is None else steps)
        for cmd in step.commands[backend]
    ]


def shell_input(lines: Sequence[str]) -> str | None:
    """Each line ended as Enter ends it: a shell never runs a last line left unended."""
    return "".join(s + "\n" for s in lines) or None


@dataclass(frozen=True)
class Typed:
    returncode: int
    stdout: str
    stderr: str
    recorded: bool = True  # False: the recorder did not log the command's event in time


def keep(line: Line, done: Typed) -> None:
    """What a person copies from a command's output for the next: its last line (the token
    `config trust add` prints). Nothing printed keeps the declared value, and the command
    that needed it fails as it would for them."""
    said = [s.strip() for s in done.stdout.splitlines() if s.strip()]
    if line.command.saves and said:
        line.params[line.command.saves] = said[-1]


@dataclass(frozen=True)
class Player:
    """How commands are typed: as whom, into which project, and how long to wait."""

    project: str = "default"
    user: str | None = None  # type as this user (runuser, so only root can)
    env: dict[str, str] | None = None
    cwd: str | Path | None = None
    timeout: float = HUNG
    retry: bool = False  # a hung command: press Ctrl-C and type it again, once
    wait: float = 30.0  # seconds the recorder may take to log a command's event (returns at once
    # when it has): CI saw a recorder far behind with both cores busy

    def argv(self, line: str, quoted: bool = False) -> list[str]:
        """Split on white space, as a snapshot name is checked for (model.SNAPSHOT_NAME):
        a name with a quote in it reaches the daemon as typed, not as a shell reads it.
        `quoted` (Command.quoted): the lab wrote quotes, split as a shell would.

        Leading `NAME=value` words are a shell's environment for that one command: `env`
        sets them after runuser, and the client after them gets the project flag."""
        argv = shlex.split(line) if quoted else line.split()
        at = next(i for i, word in enumerate(argv) if not ASSIGNMENT.match(word))
        if argv[at] == "snaplab":  # the snaplab this is, wherever it is installed
            argv[at] = str(Path(sys.executable).parent / "snaplab")
        elif self.project != "default" and argv[at + 1 : at + 2] != ["query"]:
            # the client's own flag, not part of the guide; `query` refuses it (its path
            # names the project)
            argv[at + 1 : at + 1] = ["--project", self.project]
        if at:
            argv = ["env", *argv]
        if self.user:
            argv = ["runuser", "-u", self.user, "--", *argv]
        return argv

    def type(
        self,
        line: str,
        stdin: Sequence[str] = (),
        journal: Path | None = None,
        quoted: bool = False,
    ) -> Typed:
        """With `journal`, wait for the recorder to log the command there, as it would have
        long before a person typed the next command. Raises TimeoutExpired if it hangs."""
        before = pacing.count_events(journal) if journal else 0
        argv = self.argv(line, quoted)
        done = self._run(argv, shell_input(stdin))
        if done.returncode != 0 and STOP_RACE in done.stderr and self._stopped_anyway(line):
            done = subprocess.CompletedProcess(argv, 0, done.stdout, "")
        caught = pacing.caught_up(journal, before, timeout=self.wait) if journal else True
        return Typed(done.returncode, done.stdout, done.stderr, caught)

    def play(self, line: Line, journal: Path | None = None, text: str | None = None) -> Typed:
        """A lab's line, the way solve, the guide capture and the tests all type it: split as
        its command is written, and what it saves kept for the lines after it. `text`: the
        line aimed elsewhere (the capture's own container)."""
        cmd = line.command
        done = self.type(line.text if text is None else text, line.stdin, journal, cmd.quoted)
        keep(line, done)
        return done

    def _stopped_anyway(self, line: str) -> bool:
        """After STOP_RACE: whether the container `line` stopped reaches Stopped all the same."""
        words = line.split()
        if "stop" not in words[1:]:
            return False
        at = words.index("stop", 1)
        names = [w for w in words[at + 1 :] if not w.startswith("-")]
        if len(names) != 1:
            return False
        listing = " ".join([*words[:at], "list", "-c", "ns", "-f", "csv"])  # same client, env
        deadline = time.monotonic() + STOPPED_WITHIN
        while time.monotonic() < deadline:
            listed = self._run(self.argv(listing), None)
            rows = [r.split(",") for r in listed.stdout.splitlines()]
            if any(r[:2] == [names[0], "STOPPED"] for r in rows):
                return True
            time.sleep(0.2)
        return False

    def _run(self, argv: list[str], stdin: str | None) -> subprocess.CompletedProcess:
        """The 5.0 `lxc exec` client now and then hangs after its command has ended (the
        daemon logged the exec's end within milliseconds): a person presses Ctrl-C and types
        it again."""
        for attempt in (1, 2):
            try:
                return subprocess.run(
                    argv,
                    input=stdin,
                    capture_output=True,
                    text=True,
                    env=self.env,
                    cwd=self.cwd,
                    timeout=self.timeout,
                )
            except subprocess.TimeoutExpired:
                if attempt == 2 or not self.retry:
                    raise
        raise AssertionError("unreachable")


def fault(rc: int, stderr: str, expect_failure: str | None, shell: bool) -> Text | None:
    """What is wrong with how a command ended, or None. A shell's exit status is its last
    command's (the lab's `ls` may fail on purpose), so only a refusal is judged there."""
    if expect_failure is not None:
        if rc == 0 or expect_failure not in stderr:
            return both(
                f"should have failed with {expect_failure!r}",
                f"은(는) {expect_failure!r} 오류로 실패해야 합니다",
            )
    elif rc != 0 and not shell:
        said = stderr.strip()
        return both(f"failed: {said}", f"이(가) 실패했습니다: {said}")
    return None
