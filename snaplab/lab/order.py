"""Step order, as the checks see it: each step's evidence must come after the previous step's.

A check asks `step.since` (when the previous step was proven; the lab's start for
the first) and ends with `step.proven(when)`. The plugin runs the checks in the
lab's step order and skips a check whose previous step is not proven, so a skipped
or out-of-order step leaves it and every later one unproven.
"""

from __future__ import annotations

from datetime import datetime

import pytest


class Chain:
    """When each step of one lab was proven, for one grading run."""

    def __init__(self, step_ids: list[str], begun: datetime | None) -> None:
        self.step_ids = step_ids
        self.begun = begun
        self.proofs: dict[str, datetime] = {}

    def since(self, step_id: str) -> datetime | None:
        i = self.step_ids.index(step_id)
        return self.begun if i == 0 else self.proofs.get(self.step_ids[i - 1])


class Step:
    """The `step` fixture: one check's place in the chain."""

    def __init__(self, chain: Chain, step_id: str) -> None:
        self.chain = chain
        self.id = step_id

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
