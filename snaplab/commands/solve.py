"""`snaplab solve LAB`: run the guide's own commands through the real CLI, proving the guide.

With `--remote NAME` the same commands reach the stored remote: the CLI is given
a throwaway config directory (remotes.cli_config) whose default remote is it.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from dataclasses import dataclass, field
from itertools import takewhile
from typing import TYPE_CHECKING

from snaplab import i18n, remotes
from snaplab.backends import get_backend
from snaplab.commands.common import add_lab, lab_session, stored_remote
from snaplab.errors import ExitCode, SnaplabError
from snaplab.i18n import both, detect
from snaplab.lab.model import check_snapshot_name
from snaplab.lab.player import HUNG, Player, fault, script

if TYPE_CHECKING:
    from snaplab.lab.journal import Session
    from snaplab.lab.model import Lab


@dataclass
class Ran:
    step: str
    command: str
    rc: int


@dataclass
class SolveResult:
    lab: str
    ran: list[Ran] = field(default_factory=list)
    code: ExitCode = ExitCode.OK

    def to_dict(self) -> dict:
        return {"lab": self.lab, "commands": [vars(r) for r in self.ran]}

    def render(self, lang: str) -> str:
        if lang == "ko":
            return (
                f"참조 풀이 완료: 명령 {len(self.ran)}개. `snaplab check {self.lab}`로 확인하세요"
            )
        return f"reference solution done: {len(self.ran)} commands. `snaplab check {self.lab}`"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "solve",
        help=i18n.helptext(
            "run the reference solution (the guide's commands, via lxc/incus)",
            "참조 풀이 실행(가이드의 명령을 lxc/incus로)",
        ),
        description=i18n.helptext(
            "Run every step's commands exactly as the guide shows them, through the "
            "real lxc or incus client, in order. Commands the guide expects to fail (the "
            "chapter's warning) must fail with the expected message. With --remote, the client "
            "drives that stored remote, with snaplab's client certificate and pinned server "
            "certificate.",
            "모든 단계의 명령을 가이드에 나온 그대로, 실제 lxc나 incus 클라이언트로 순서대로 "
            "실행합니다. 가이드가 실패를 예상하는 명령(장의 경고)은 예상한 메시지로 실패해야 "
            "합니다. --remote를 주면 클라이언트가 snaplab의 클라이언트 인증서와 고정된 서버 "
            "인증서로 그 저장된 원격을 다룹니다.",
        ),
    )
    add_lab(p)
    p.add_argument(
        "--snapshot",
        default=None,
        help=i18n.helptext(
            "snapshot name (default: the lab's)", "스냅샷 이름 (기본값: 실습에 정해진 것)"
        ),
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> SolveResult:
    lab, session = lab_session(args)
    snapshot = check_snapshot_name(args.snapshot) if args.snapshot else lab.snapshot
    remote = stored_remote(args)
    if remote is None:
        return solve(lab, session, snapshot, None, detect(getattr(args, "lang", None)))
    from snaplab.lab.runner import open_session

    open_session(session)  # unreachable, or not the pinned server: one line, before any command
    with remotes.cli_config(remote, get_backend(session.backend)) as extra:
        return solve(
            lab, session, snapshot, {**os.environ, **extra}, detect(getattr(args, "lang", None))
        )


def solve(
    lab: Lab, session: Session, snapshot: str, env: dict[str, str] | None, lang: str = "en"
) -> SolveResult:
    """`env`: the CLI's environment, None for this process's own (the local daemon)."""
    result = SolveResult(lab.id)
    player = Player(project=session.project, env=env)
    done_already = leading_passes(lab, session)
    for step_id in done_already:
        print(
            both(
                f"step {step_id}: already done, skipped", f"{step_id} 단계: 이미 했으므로 건너뜀"
            ).get(lang),
            file=sys.stderr,
        )
    for line in script(lab, session.backend, session.instance, snapshot):
        if line.step in done_already:
            continue
        cmd = line.command
        print(f"$ {line.text}", file=sys.stderr, flush=True)  # with what earlier lines saved
        # A person's pace matters in one place only: after a shell in the container, the
        # recorder must look inside (did the file appear?) before the next command (a stop
        # and restore) rewinds it. Every other step is graded from the order of the daemon's
        # own events, so solve runs on at once (as a paste would).
        wait = session.journal if cmd.recorded and cmd.shell else None
        try:
            done = player.play(line, wait)
        except subprocess.TimeoutExpired:  # the 5.0 client now and then hangs after an exec
            raise SnaplabError(
                both(
                    f"step {line.step}: `{line.text}` did not finish in {HUNG} s; run "
                    f"`snaplab check {lab.id}` to see where the lab stands",
                    f"{line.step} 단계: `{line.text}`이(가) {HUNG}초 안에 끝나지 않았습니다. "
                    f"`snaplab check {lab.id}`로 실습 상태를 확인하세요",
                ),
                ExitCode.NOT_PASSING,
            ) from None
        if done.stdout.strip():
            print(done.stdout.rstrip(), file=sys.stderr)
        wrong = fault(done.returncode, done.stderr, cmd.expect_failure, cmd.shell)
        if wrong is not None:
            raise SnaplabError(
                both(
                    f"step {line.step}: `{line.text}` {wrong.en}",
                    f"{line.step} 단계: `{line.text}`{wrong.ko}",
                ),
                ExitCode.NOT_PASSING,
            )
        if cmd.expect_failure is not None:
            print(done.stderr.rstrip(), file=sys.stderr)
        result.ran.append(Ran(line.step, line.text, done.returncode))
        step = next(s for s in lab.steps if s.id == line.step)
        if step.waits and line.command is step.commands[session.backend][-1]:
            wait_for_daemon(lab, session, step.id, step.waits, lang)
    return result


def leading_passes(lab: Lab, session: Session) -> set[str]:
    """The first steps done before this run (lab.yaml `earlier: true`: the remote chapter 10
    needs, made in chapter 9; chapter 9's own trust and remote, which `finish` leaves, when
    it is done again): typing them again could fail (`remote add` of a remote that exists).
    All of them or none: a later one may need what an earlier one saves (the token `remote
    add` takes). Other steps are always typed: solve proves the guide."""
    from snaplab.lab.runner import check

    earlier = [s.id for s in takewhile(lambda s: s.earlier, lab.steps)]
    if not earlier:
        return set()
    found = {s.id: s.status for s in check(lab, session).steps}
    return set(earlier) if all(found[i] == "pass" for i in earlier) else set()


def wait_for_daemon(lab: Lab, session: Session, step_id: str, seconds: int, lang: str) -> None:
    from snaplab.lab.runner import wait_until_passed

    print(
        both(
            f"waiting up to {seconds} s for the daemon to finish step {step_id} on its own",
            f"데몬이 {step_id} 단계를 스스로 마치기를 최대 {seconds}초 기다립니다",
        ).get(lang),
        file=sys.stderr,
        flush=True,
    )
    if not wait_until_passed(lab, session, step_id, seconds):
        raise SnaplabError(
            both(
                f"step {step_id}: the daemon did not finish it within {seconds} s; run "
                f"`snaplab check {lab.id}` to see where the lab stands",
                f"{step_id} 단계: 데몬이 {seconds}초 안에 마치지 않았습니다. "
                f"`snaplab check {lab.id}`로 실습 상태를 확인하세요",
            ),
            ExitCode.NOT_PASSING,
        )
