"""What `check` tells a learner beside the steps, read from the journal. No daemon."""

from __future__ import annotations

from snaplab.lab.journal import Entry
from snaplab.lab.runner import reopened


def journal(*listening: str) -> list[Entry]:
    entries = [Entry(t="2026-12-06T09:00:00Z", kind="start")]
    entries += [Entry(t=t, kind="recorder", note="listening") for t in listening]
    entries.append(Entry(t="2026-12-06T09:05:00Z", kind="event", action="instance-stopped"))
    return entries


def test_a_recorder_that_listened_once_says_nothing():
    assert reopened(journal("2026-12-06T09:00:01Z")) is None


def test_a_stream_reopened_is_said_with_when_in_both_languages():
    said = reopened(journal("2026-12-06T09:00:01Z", "2026-12-06T09:03:07Z"))
    assert said is not None
    assert "listened again at" in said.en and "다시 듣기 시작했습니다" in said.ko
    assert said.en.split(" at ")[1][:8].count(":") == 2  # a clock time, in local time


def test_another_daemons_log_is_not_the_stream():
    entries = journal("2026-12-06T09:00:01Z")
    entries.append(
        Entry(t="2026-12-06T09:00:02Z", kind="recorder", note="listening to snapshot-server")
    )
    assert reopened(entries) is None
