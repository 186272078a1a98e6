"""`snaplab watch LAB`: a live checklist that ticks as the learner works.

Driven by the recorder, not by polling: watch subscribes on the session's
recorder socket (snaplab/lab/channel.py), and each time the recorder has written
a learner's event down, watch asks it for a fresh grade (the very grade `check`
gives) and shows what changed. On a terminal it redraws the checklist, with the
hint for the current step, like `watch(1)` (plain ANSI: a terminal, ssh, a tmux
pane); without one it prints a line per change (--json: a JSON object per change).
It ends when every step passes, with the score and exit 0; Ctrl-C ends it with 130.
"""

from __future__ import annotations

import argparse
import json
import select
import sys
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, TextIO

from snaplab import i18n
from snaplab.commands.check import MARK, CheckResult
from snaplab.commands.common import add_lab, lab_session
from snaplab.errors import ExitCode, SnaplabError
from snaplab.i18n import HINT, Text, both
from snaplab.lab.journal import now

if TYPE_CHECKING:
    from snaplab.lab.channel import Subscription
    from snaplab.lab.journal import Entry, Session
    from snaplab.lab.model import Lab
    from snaplab.lab.results import LabResult

CLEAR = "\x1b[H\x1b[2J"  # cursor home, clear the screen: what watch(1) does
RESUBSCRIBE = 3  # the recorder went away this many times in a row: give up


def header(r: LabResult) -> Text:
    return both(
        f"watching {r.lab} on {r.backend} ({r.instance}): each step turns PASS as you do it; "
        "Ctrl-C to stop",
        f"{r.lab} 실습을 지켜보는 중({r.backend}, {r.instance}): 단계를 마칠 때마다 PASS로 "
        "바뀝니다. 끝내려면 Ctrl-C",
    )


@dataclass
class WatchResult(CheckResult):
    """`check`'s result and JSON; only the last line differs: the screen showed the rest."""

    def render(self, lang: str) -> str:
        r = self.result
        return both(
            f"lab complete: score {r.score}/{r.max_score}",
            f"실습 완료: 점수 {r.score}/{r.max_score}",
        ).get(lang)


class Screen:
    """What watch shows: a redrawn checklist on a terminal, a line per change otherwise."""

    def __init__(self, out: TextIO, lang: str, tty: bool, as_json: bool) -> None:
        self.out, self.lang, self.tty, self.as_json = out, lang, tty and not as_json, as_json
        self.shown: dict[str, str] = {}  # step id -> status last shown
        self.hint = ""

    def show(self, r: LabResult, since: str | None) -> None:
        """`since`: the daemon's timestamp of the first event this grade is news about."""
        if self.tty:
            self._redraw(r)
        else:
            self._lines(r, since)
        self.out.flush()

    def _redraw(self, r: LabResult) -> None:
        statuses = {s.id: s.status for s in r.steps}
        if statuses == self.shown and self.shown:
            return
        self.shown = statuses
        self.out.write(CLEAR + header(r).get(self.lang) + "\n\n")
        self.out.write(CheckResult(r, self.lang).render(self.lang) + "\n")

    def _lines(self, r: LabResult, since: str | None) -> None:
        if not self.shown:
            self.out.write(header(r).get(self.lang) + "\n")
        for i, s in enumerate(r.steps, 1):
            if self.shown.get(s.id) == s.status:
                continue
            self.shown[s.id] = s.status
            if self.as_json:
                line = {
                    "step": s.id,
                    "n": i,
                    "status": s.status,
                    "points": s.points,
                    "max_points": s.max_points,
                    "title": s.title.get(self.lang),
                    "event_t": since,
                    "t": now(),
                }
                self.out.write(json.dumps(line, ensure_ascii=False) + "\n")
            else:
                self.out.write(
                    f"{MARK[s.status]} {i}. {s.title.get(self.lang)} [{s.points}/{s.max_points}]"
                    f" {s.message.get(self.lang)}\n"
                )
        current = next((s for s in r.steps if s.hint), None)
        hint = current.hint.get(self.lang) if current and current.hint else ""
        if hint and hint != self.hint and not self.as_json:
            self.out.write(f"  {HINT.get(self.lang)}: {hint}\n")
        self.hint = hint


def grade(lab: Lab, session: Session) -> LabResult:
    """Asked of the recorder, as `check` asks; in-process (which restarts it) when it cannot."""
    from snaplab.lab import channel

    answered = channel.check(session)
    if answered is not None:
        return answered
    from snaplab.lab.runner import check

    return check(lab, session)


def subscribe(lab: Lab, session: Session) -> Subscription:
    from snaplab.lab import channel

    sub = channel.subscribe(session)
    if sub is None:
        grade(lab, session)  # no recorder answering: this restarts it, or says why not
        sub = channel.subscribe(session)
    if sub is None:
        raise SnaplabError(
            both(
                "watch needs the lab's event recorder, and it does not answer: run `snaplab "
                f"check {lab.id}` to restart it, or check it without watching",
                "watch에는 실습의 이벤트 기록기가 필요한데 응답하지 않습니다: `snaplab check "
                f"{lab.id}`로 다시 시작하거나, watch 없이 check를 사용하세요",
            ),
            ExitCode.DAEMON_DOWN,
        )
    return sub


def news(sub: Subscription) -> Entry | None:
    """Block until the recorder has news; then take whatever else is already there too,
    so a pasted block of commands costs one grade, not one per command.
    Returns the earliest event (its time is what the latency is measured from)."""
    first = sub.next()
    while sub.pending() or select.select([sub], [], [], 0)[0]:
        more = sub.next()
        if first is None:
            first = more
    return first


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "watch",
        help=i18n.helptext(
            "a live checklist: each step turns PASS as you do it (Ctrl-C to stop)",
            "실시간 체크리스트: 단계를 마칠 때마다 PASS로 바뀜(끝내려면 Ctrl-C)",
        ),
        description=i18n.helptext(
            "Show the lab's steps and tick each one the moment the daemon's event "
            "proves it, with the hint for the current step. Run it in a second terminal while "
            "you work. Ends when every step passes (exit 0); Ctrl-C ends it (exit 130). "
            "Without a terminal it prints one line per change (--json: a JSON object per change, "
            "then the final grade as `check --json` prints it).",
            "실습의 단계를 보여 주고, 데몬의 이벤트가 단계를 증명하는 즉시 그 단계를 표시하며, "
            "지금 단계의 힌트도 함께 보여 줍니다. 실습하는 동안 두 번째 터미널에 띄워 두는 "
            "명령입니다. 모든 단계를 통과하면 끝나고(종료 코드 0), Ctrl-C로도 끝낼 수 "
            "있습니다(종료 코드 130). 터미널이 아니면 바뀔 때마다 한 줄씩 출력합니다(--json: "
            "바뀔 때마다 JSON 객체 하나, 마지막에 `check --json`이 출력하는 것과 같은 최종 채점 "
            "결과).",
        ),
    )
    add_lab(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> WatchResult:
    from snaplab.i18n import detect

    lab, session = lab_session(args)
    lang = detect(getattr(args, "lang", None))
    screen = Screen(sys.stdout, lang, sys.stdout.isatty(), bool(getattr(args, "json", False)))
    sub = subscribe(lab, session)  # first: no event can fall between the grade and listening
    try:
        result = grade(lab, session)
        screen.show(result, None)
        lost = 0
        while not result.complete:
            try:
                entry = news(sub)
                lost = 0
            except EOFError:  # the recorder stopped (finish, killed): start it again, or say why
                sub.close()
                lost += 1
                if lost > RESUBSCRIBE:
                    raise SnaplabError(
                        both(
                            f"the event recorder keeps stopping; see recorder.log in {session.dir}",
                            f"이벤트 기록기가 계속 멈춥니다. {session.dir}의 recorder.log를 "
                            "확인하세요",
                        ),
                        ExitCode.DAEMON_DOWN,
                    ) from None
                time.sleep(0.2 * lost)
                sub = subscribe(lab, session)
                entry = None  # events may have gone by meanwhile: grade anyway
            else:
                if entry is None:
                    continue  # the recorder's keep-alive: nothing new
            result = grade(lab, session)
            screen.show(result, entry.t if entry is not None else None)
        return WatchResult(result, lang)
    finally:
        sub.close()
