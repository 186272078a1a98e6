"""Waiting for the recorder, for whoever types the commands faster than a person.

A human takes seconds between commands; a script does not. Scripted runs
(`solve`, `guides capture`, the tests' learner) read the journal here to know
the recorder has caught up, without the process machinery or the daemon client.
"""

from __future__ import annotations

import time
from pathlib import Path

from snaplab.lab.entries import EXEC_ENDED
from snaplab.lab.journal import Entry, read


def caught_up(journal: Path, events_before: int, timeout: float = 3.0) -> bool:
    """Wait until the recorder has written (and probed) an event newer than the count given,
    and the end of every exec it saw begin.

    A human takes seconds between commands; a script does not. Every scripted
    run (`solve`, `guides capture`, the tests' learner) calls this after each
    command so the recorder's probe sees the container before the next command
    changes it.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        new = learner_events(journal)[events_before:]
        begun = sum(e.action == "instance-exec" for e in new)
        if new and begun <= sum(e.action == EXEC_ENDED for e in new):
            return True
        time.sleep(0.01)
    return False


def learner_events(journal: Path) -> list[Entry]:
    return [e for e in read(journal) if e.kind == "event" and not e.own]


def count_events(journal: Path) -> int:
    return len(learner_events(journal))
