"""A file look that fails is asked again only when it failed at once (snaplab/instance.py
RESET_S): `check`'s look (runner.look_for_file) and a class's (evidence.look) alike."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from pylxd.exceptions import LXDAPIException, NotFound

from snaplab import instance as api
from snaplab.classroom import evidence
from snaplab.lab import runner
from tests.unit.fake_class import learner


class Clock:
    """Time that passes only as the daemon takes it: no test here waits."""

    def __init__(self) -> None:
        self.now = 100.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def failing(clock: Clock, takes: list[float], then: Exception | None = None):
    """A files request that fails after each of `takes` seconds in turn, then answers (or
    raises `then`); it counts its calls."""
    calls = []

    def ask(*args, **kwargs):
        calls.append(args)
        if len(calls) <= len(takes):
            clock.now += takes[len(calls) - 1]
            raise LXDAPIException(SimpleNamespace(status_code=500, json=lambda: {}, text="reset"))
        if then is not None:
            raise then
        return True

    return ask, calls


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(api, "time", clock)
    return clock


def conn() -> SimpleNamespace:
    base = SimpleNamespace(_api_endpoint="http+unix://x/1.0", session=None)
    return SimpleNamespace(client=SimpleNamespace(api=base))


@pytest.mark.parametrize(
    ("takes", "asked", "found"),
    [
        ([0.1], 2, True),  # reset as the container stopped: asked again, answered
        ([api.RESET_S + 9], 1, None),  # hung: "could not tell" at once
        ([0.1, 0.1], 2, None),  # twice at once: "could not tell"
    ],
)
def test_a_class_look_asks_again_only_after_a_quick_failure(
    monkeypatch, clock, takes, asked, found
):
    ask, calls = failing(clock, takes)
    monkeypatch.setattr(api, "ask_files", ask)
    monkeypatch.setattr(evidence.listing, "node", lambda *a: object())
    assert evidence.look(conn(), learner("kim"), "/root/f", 5) is found
    assert len(calls) == asked


def test_a_class_look_that_is_told_no_such_file_says_so(monkeypatch, clock):
    missing = NotFound(SimpleNamespace(status_code=404, json=lambda: {}, text="not found"))
    ask, calls = failing(clock, [0.1], then=missing)
    monkeypatch.setattr(api, "ask_files", ask)
    monkeypatch.setattr(evidence.listing, "node", lambda *a: object())
    assert evidence.look(conn(), learner("kim"), "/root/f", 5) is False
    assert len(calls) == 2


@pytest.mark.parametrize(
    ("takes", "asked", "found"),
    [
        ([0.1, 0.1], 3, True),
        ([api.RESET_S + 9], 1, None),
        ([0.1, api.RESET_S + 9], 2, None),
        ([0.1, 0.1, 0.1], 3, None),
    ],
)
def test_checks_look_asks_again_only_after_a_quick_failure(monkeypatch, clock, takes, asked, found):
    ask, calls = failing(clock, takes)
    monkeypatch.setattr(api, "file_exists", ask)
    session = SimpleNamespace(instance="ubuntu-test")
    assert runner.look_for_file("/root/f", session, conn()) is found  # type: ignore[arg-type]
    assert len(calls) == asked


def test_no_pause_after_the_last_try(monkeypatch, clock):
    """'could not tell' as soon as the last try failed: a pause then only delays the grade."""
    ask, calls = failing(clock, [0.1, 0.1, 0.1])
    monkeypatch.setattr(api, "file_exists", ask)
    session = SimpleNamespace(instance="ubuntu-test")
    began = clock.now
    assert runner.look_for_file("/root/f", session, conn()) is None  # type: ignore[arg-type]
    assert clock.now - began == pytest.approx(3 * 0.1 + 2 * 0.2)  # three tries, two pauses
