"""One module per verb; this map is the CLI's table of contents (and --help's order).

Verb -> module, imported only when asked for: `snaplab check` loads the check verb
alone, so a learner's most frequent command does not pay for eleven others.
"""

from __future__ import annotations

import importlib
from types import ModuleType

VERBS = {
    "labs": "snaplab.commands.labs",
    "start": "snaplab.commands.start",
    "check": "snaplab.commands.check",
    "watch": "snaplab.commands.watch",
    "solve": "snaplab.commands.solve",
    "grade": "snaplab.commands.grade",
    "finish": "snaplab.commands.finish",
    "host": "snaplab.commands.host",
    "doctor": "snaplab.commands.doctor",
    "remote": "snaplab.commands.remote",
    "class": "snaplab.commands.classroom",
    "guides": "snaplab.commands.guides",
}


def modules(verb: str | None = None) -> list[ModuleType]:
    """The named verb's module, or every verb's (for --help, or a verb nobody knows)."""
    names = [VERBS[verb]] if verb in VERBS else list(VERBS.values())
    return [importlib.import_module(name) for name in names]
