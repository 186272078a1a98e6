"""Chapter 9's checks on hand-made evidence: each fails when its step was skipped or done
wrong. The snapshot server and the learner's client are small stand-ins (pure logic); the
lab is done for real on both daemons in tests/integration/test_snapshot_server_lab.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from snaplab.lab.history import Live
from snaplab.lab.journal import Entry
from snaplab.lab.model import load
from tests.unit.graded import Daemon, Local, grade

LAB = load("snapshot-server")
T0 = datetime(2026, 12, 4, 19, 0, tzinfo=UTC)
CREATED = "2026-12-04T18:59:59Z"
S = "snap1"
OWNER = {"user.snaplab.owner": "lab:snapshot-server", "volatile.base_image": "abc"}
BOOK = {
    "snapshots.schedule": "50 20 * * *",
    "snapshots.pattern": "rockylinux-test-9{{ creation_date|date:'2006-01-02_15-04-05' }}",
    "snapshots.expiry": "1d",
}


def at(seconds: float) -> str:
    return (T0 + timedelta(seconds=seconds)).isoformat()


def ev(seconds: float, action: str, **kw: Any) -> Entry:
    return Entry(t=at(seconds), kind="event", action=action, **kw)


def journal(*, info: bool = True, listed: bool = True, book: dict | None = None) -> list[Entry]:
    es = [
        Entry(t=at(0), kind="start", created_at=CREATED, status="Running"),
        ev(10, "instance-snapshot-created", snapshot=S, snapshots=[S]),
    ]
    if info:
        es.append(ev(11, "info-requested"))
    if listed:
        es.append(ev(20, "server-listed"))
    es.append(ev(30, "instance-updated", config=dict(BOOK if book is None else book)))
    return es


def live() -> Live:
    return Live(exists=True, created_at=CREATED, status="Running", snapshots={S: at(10)})


def copy(seconds: float = 15, status: str = "Stopped", **config: str) -> Any:
    return SimpleNamespace(
        created_at=at(seconds), status=status, config={**OWNER, "boot.autostart": "0", **config}
    )


def done_server() -> Daemon:
    return Daemon({"rockylinux-test-9": copy()}, trusted=["lxd-primary"])


def primary() -> Any:
    lab = SimpleNamespace(config=dict(OWNER))
    return SimpleNamespace(instances=SimpleNamespace(get=lambda name: lab))


ADDED = Local({"local (current)": "unix://", "lxd-snapshot": "https://127.0.0.1:8445"})


def outcomes(entries=None, server=None, client=ADDED) -> dict[str, bool]:
    graded = grade(
        journal() if entries is None else entries,
        live(),
        lab=LAB,
        daemons={"primary": primary(), "snapshot-server": server or done_server()},
        local=client,
    )
    return graded.outcomes  # type: ignore[attr-defined]


STEPS = [s.id for s in LAB.steps]


def passed_up_to(found: dict[str, bool], step: str) -> None:
    """Every step before `step` passed and `step` did not."""
    at_ = STEPS.index(step)
    assert [found[s] for s in STEPS[:at_]] == [True] * at_, found
    assert found[step] is False, found


def test_the_chapter_done_passes_every_step_up_to_the_schedule():
    found = outcomes()
    passed_up_to(found, "schedule-seen")


def test_no_token_and_no_trust_fails_the_first_step():
    passed_up_to(outcomes(server=Daemon({"rockylinux-test-9": copy()})), "token-made")


def test_a_token_not_yet_used_passes_the_token_but_not_the_remote():
    server = Daemon({"rockylinux-test-9": copy()}, tokens=["lxd-primary"])
    untrusted = Local({"lxd-snapshot": "https://127.0.0.1:8445"}, trusted=False)
    passed_up_to(outcomes(server=server, client=untrusted), "remote-added")


def test_a_remote_under_another_name_or_address_or_untrusted_fails_the_remote():
    for client in (
        Local({"snap": "https://127.0.0.1:8445"}),  # another name
        Local({"lxd-snapshot": "https://127.0.0.1:8443"}),  # the primary itself
        Local({"lxd-snapshot": "https://127.0.0.1:8445"}, trusted=False),  # no token used
    ):
        passed_up_to(outcomes(client=client), "remote-added")


def test_no_info_fails_the_snapshot_step():
    passed_up_to(outcomes(journal(info=False)), "snapshot-listed")


def test_a_copy_made_under_another_name_or_from_elsewhere_fails_the_copy():
    elsewhere = copy(**{"user.snaplab.owner": ""})  # made on the server, not copied from the lab
    for server in (
        Daemon({"rocky-copy": copy()}, trusted=["lxd-primary"]),
        Daemon({"rockylinux-test-9": elsewhere}, trusted=["lxd-primary"]),
        Daemon({"rockylinux-test-9": copy(seconds=5)}, trusted=["lxd-primary"]),  # before it
    ):
        passed_up_to(outcomes(server=server), "copied")


def test_not_listing_the_server_or_a_running_copy_fails_the_listing():
    passed_up_to(outcomes(journal(listed=False)), "server-listed")
    running = Daemon({"rockylinux-test-9": copy(status="Running")}, trusted=["lxd-primary"])
    passed_up_to(outcomes(server=running), "server-listed")


def test_autostart_left_on_fails_its_step():
    on = Daemon({"rockylinux-test-9": copy(**{"boot.autostart": "1"})}, trusted=["lxd-primary"])
    passed_up_to(outcomes(server=on), "autostart-off")


def test_a_schedule_without_the_books_pattern_or_expiry_at_once_fails():
    for book in (
        {**BOOK, "snapshots.expiry": ""},  # never set
        {**BOOK, "snapshots.schedule": "@daily"},
        {k: v for k, v in BOOK.items() if k != "snapshots.pattern"},
    ):
        passed_up_to(outcomes(journal(book=book)), "schedule-set")


FAST = {**BOOK, "snapshots.schedule": "* * * * *", "snapshots.expiry": "1M"}


def seen(*extra: Entry) -> list[Entry]:
    return [*journal(), ev(40, "instance-updated", config=dict(FAST)), *extra]


AUTO = "rockylinux-test-92026-12-04_19-01-00"


def test_a_scheduled_snapshot_then_pruned_passes_the_last_step():
    found = outcomes(
        seen(
            ev(60, "instance-snapshot-created", snapshot=AUTO, by="scheduler"),
            ev(120, "instance-snapshot-deleted", snapshot=AUTO, by="pruner"),
        )
    )
    assert all(found.values()), found


def test_a_snapshot_taken_or_deleted_by_hand_is_not_the_daemons():
    for events in (
        # the learner, not the scheduler, took it
        (
            ev(60, "instance-snapshot-created", snapshot=AUTO),
            ev(120, "instance-snapshot-deleted", snapshot=AUTO, by="pruner"),
        ),
        # the learner deleted it; it never expired
        (
            ev(60, "instance-snapshot-created", snapshot=AUTO, by="scheduler"),
            ev(70, "instance-snapshot-deleted", snapshot=AUTO),
        ),
        # made, never pruned yet
        (ev(60, "instance-snapshot-created", snapshot=AUTO, by="scheduler"),),
        # not named by the pattern
        (
            ev(60, "instance-snapshot-created", snapshot="snap0", by="scheduler"),
            ev(120, "instance-snapshot-deleted", snapshot="snap0", by="pruner"),
        ),
    ):
        passed_up_to(outcomes(seen(*events)), "schedule-seen")


def test_the_schedulers_work_before_the_fast_schedule_does_not_count():
    early = [
        ev(35, "instance-snapshot-created", snapshot=AUTO, by="scheduler"),
        ev(38, "instance-snapshot-deleted", snapshot=AUTO, by="pruner"),
    ]
    passed_up_to(outcomes(seen(*early)), "schedule-seen")
