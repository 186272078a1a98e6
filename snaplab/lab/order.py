"""Step order, as the checks see it: each step's evidence must come after the previous step's.

A check asks `step.since` (when the previous step was proven; the lab's start for
the first) and ends with `step.proven(when)`. The plugin runs the checks in the
lab's step order and skips a check whose previous step is not proven, so a skipped
or out-of-order step leaves it and every later one unproven.

A check that recognises the wrong path from the evidence says which, rather than
failing with the step's generic text: `step.fails("restored-running")`, or with
what the daemon shows now, `step.fails("renamed", current="gold")`. The reason,
its text and its hint live in lab.yaml under the step's `reasons:` (the names it
passes are declared there as `names: [current]`), and `check`, `grade`, class
grading and plain pytest all show that reason's text and hint instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, NoReturn

import pytest


class Chain:
    """When each step of one lab was proven, for one grading run."""

    def __init__(self, step_ids: list[str], begun: datetime | None) -> None:
        self.step_ids = step_ids
        self.begun = begun
        self.proofs: dict[str, datetime] = {}
        # step id -> (reason id, the names its texts use): how a step failed, if its check said
        self.failures: dict[str, tuple[str, dict[str, str]]] = {}

    def since(self, step_id: str) -> datetime | None:
        i = self.step_ids.index(step_id)
        return self.begun if i == 0 else self.proofs.get(self.step_ids[i - 1])


class Step:
    """The `step` fixture: one check's place in the chain. A check ends with
    `step.proven(when)` (None fails with the step's generic text and hint), or, where the
    evidence shows which wrong path was taken, `step.fails("reason", **names)`: the text
    and hint of that reason in the step's lab.yaml `reasons:` (see the module docstring)."""

    def __init__(
        self, chain: Chain, step_id: str, reasons: Mapping[str, Any] | None = None
    ) -> None:
        self.chain = chain
        self.id = step_id
        self.reasons = reasons or {}  # the step's model.Reason by id, as lab.yaml declares them

    @property
    def since(self) -> datetime:
        when = self.chain.since(self.id)
        if when is None:  # the plugin skips such a step before it runs; this is the guard
            pytest.skip("an earlier step is not done")
        return when

    def at(self, earlier: str) -> datetime:
        """When an earlier step was proven: a rule may count from it rather than the last."""
        return self.chain.proofs[earlier]

    def ready(self) -> bool:
        return self.chain.since(self.id) is not None

    def proven(self, when: datetime | None) -> None:
        """The step's evidence, found at `when`; None fails the step."""
        assert when is not None, f"no evidence for step {self.id}"
        self.chain.proofs[self.id] = when

    def done(self) -> None:
        """For a step proven by what the instance shows now: it adds no later time."""
        self.proven(self.since)

    def fails(self, reason: str, **names: object) -> NoReturn:
        """Fail with one of the step's `reasons:` (lab.yaml): its text and hint replace the
        step's generic ones. `names` fill the placeholders the reason declares (`names:`),
        e.g. `current="gold"`, what the daemon shows now; the lab's parameters and each
        step's command (`{command_container_stopped}`) are there already."""
        declared = self.reasons.get(reason)
        if declared is None:
            raise LookupError(f"step {self.id} declares no reason {reason!r} in lab.yaml")
        if set(names) != set(declared.names):
            want = ", ".join(declared.names) or "none"
            raise TypeError(f"reason {reason!r} of step {self.id} takes names {want}")
        self.chain.failures[self.id] = (reason, {k: str(v) for k, v in names.items()})
        pytest.fail(f"{self.id}: {reason}", pytrace=False)
