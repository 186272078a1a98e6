"""The class's event recorders: one shared recorder per daemon, for every learner on it.

One process per daemon rather than per learner: a class of thirty on one host
is one event stream, and each learner's events still go to their own journal.
The pids are kept in the class's directory, so teardown and a later grade find them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from snaplab.backends import get_backend
from snaplab.classroom.roster import Learner, Roster
from snaplab.classroom.state import RECORDERS, class_dir
from snaplab.errors import SnaplabError
from snaplab.i18n import Text, as_text, both
from snaplab.lab import recorder
from snaplab.lab.model import Lab
from snaplab.lab.runner import record_for


def record(lab: Lab, roster: Roster, learners: Iterable[Learner]) -> dict[str, Text]:
    """One shared recorder per daemon, replacing the class's earlier ones.

    A daemon whose recorder cannot start (host down, pin refused) stops no other:
    returns, for each learner left unrecorded, why."""
    stop_recorders(roster)
    groups: dict[tuple[str, str | None], list[Learner]] = {}
    for learner in learners:
        groups.setdefault((learner.backend, learner.url), []).append(learner)
    pids: list[int] = []
    unrecorded: dict[str, Text] = {}
    for (backend, url), members in groups.items():
        sessions = [learner.session(lab.id) for learner in members]
        try:
            pids.append(
                recorder.spawn_many(
                    sessions,
                    record_for(lab, get_backend(backend), url),
                    class_dir(roster),
                    shared=True,
                )
            )
        except SnaplabError as e:
            said = as_text(e.message)
            why = both(
                f"nothing records {url or f'the local {backend}'}: {said.en}",
                f"{url or f'로컬 {backend}'}을(를) 기록하는 것이 없습니다: {said.ko}",
            )
            unrecorded.update({learner.id: why for learner in members})
    (class_dir(roster) / RECORDERS).write_text(json.dumps(pids))
    return unrecorded


def started(lab: Lab, roster: Roster) -> list[Learner]:
    """Learners whose lab setup started here: theirs are the journals to record into."""
    return [
        learner
        for learner in roster.learners
        if any(e.kind == "start" for e in learner.session(lab.id).entries())
    ]


def recorded(lab: Lab, learner: Learner) -> bool:
    return recorder.alive(learner.session(lab.id))


def stop_recorders(roster: Roster) -> None:
    try:
        pids = json.loads((class_dir(roster) / RECORDERS).read_text())
    except (OSError, ValueError):
        return
    for pid in pids:
        recorder.terminate(pid)
    (class_dir(roster) / RECORDERS).unlink(missing_ok=True)
