"""One lab's evidence as its checks are handed it, and where a pytest run finds it.

`check` reads the evidence before pytest starts and seeds it here (snaplab/lab/grader.py);
a plain pytest run reads it through the plugin (snaplab/pytest_plugin.py). Its own module,
below both, so that neither the grader nor the plugin imports the other for it.
"""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest


class Graded:
    """One lab's evidence, read once per run: by `check` before pytest starts, or here."""

    def __init__(
        self,
        lab: Any,
        evidence: Any,
        base: Any,
        commands: dict[str, str],
        daemons: dict[str, Any] | None = None,
        local: Any = None,
    ) -> None:
        from snaplab.lab.model import placeholders
        from snaplab.lab.order import Chain

        self.lab = lab
        self.evidence = evidence
        self.base = base
        self.commands = commands
        self.params = placeholders(lab, base.backend, base.instance, base.snapshot)
        self.chain = Chain([s.id for s in lab.steps], evidence.history.begun)
        self._daemons = daemons  # given by a unit test; else connected when a check asks
        self._local = local

    @property
    def daemons(self) -> dict[str, Any]:
        """The primary and the lab's other daemons (`resources: daemons`), by role."""
        if self._daemons is None:
            from snaplab.backends import get_backend
            from snaplab.lab.clients import daemon_clients

            others = self.evidence.others
            if others is None:
                others = daemon_clients(self.lab, get_backend(self.base.backend))
            self._daemons = {"primary": self.evidence.host.backend.client, **others}
        return self._daemons

    @property
    def local(self) -> Any:
        if self._local is None:
            import testinfra

            self._local = testinfra.get_host("local://")
        return self._local


GRADED = pytest.StashKey[dict]()  # check module's path -> Graded, or the error reading it


def key(path: Any) -> str:
    return _resolved(str(path))


@lru_cache(maxsize=64)
def _resolved(path: str) -> str:
    """A class's run asks for every item's module: resolve each path once."""
    return str(Path(path).resolve())


def seed(config: pytest.Config, graded: Graded) -> None:
    """`check` hands over the evidence it read: the checks then never ask the daemon twice."""
    config.stash.setdefault(GRADED, {})[key(graded.lab.checks)] = graded


@dataclass
class Class:
    """A class graded in one pytest session (`--lab-roster`, `snaplab class grade`): the lab,
    its learners in roster order, and each learner's evidence or the error reading it, by
    learner id (None until a check first asks: collecting alone reads no daemon)."""

    lab: Any
    learners: list[Any]
    found: dict[str, Any] | None = None

    def of(self, learner_id: str) -> Any:
        """The learner's evidence or the error reading it, waited for if it is still being
        read (`class grade` runs the checks while the rest of the class is read)."""
        got = (self.found or {}).get(learner_id)
        return outcome(got) if isinstance(got, Future) else got


def outcome(future: Future) -> Any:
    """A read's result, or the error that stopped it: one learner's surprise ends no one's
    grade."""
    try:
        return future.result()
    except Exception as e:  # noqa: BLE001 - said as that learner's failure
        return e


CLASSES = pytest.StashKey[dict]()  # check module's path -> Class


def seed_class(config: pytest.Config, klass: Class) -> None:
    """`class grade` hands over every learner's evidence, read in one pass."""
    config.stash.setdefault(CLASSES, {})[key(klass.lab.checks)] = klass
