"""Chapter 10's checks on hand-made evidence: each fails when its step was skipped or done
wrong. The primary, the snapshot server and the learner's machine (their client, crontab and
script) are the stand-ins of tests/unit/graded.py: pure logic, no daemon."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from snaplab.lab.grader import results
from snaplab.lab.history import Live
from snaplab.lab.journal import Entry
from snaplab.lab.model import load
from tests.unit.graded import Daemon, File, Local, check_module, grade, instance

LAB = load("automating")
CHECKS = check_module(LAB)
STEPS = [s.id for s in LAB.steps]
T0 = datetime(2026, 12, 5, 21, 0, tzinfo=UTC)
CREATED = "2026-12-05T20:59:59Z"
INSTANCE, SNAP, SCRIPT = LAB.params["instance"], LAB.params["snapshot"], LAB.params["script"]
OTHER = "web"  # a second container of the learner's: the script refreshes every one
LOG = "/home/lxdadmin/refreshlog"
BOOK_LINE = f"00 22 * * * {SCRIPT} > {LOG} 2>&1"
REMOTES = {"local (current)": "unix://", "lxd-snapshot": "https://127.0.0.1:8445"}
MINE = {SCRIPT: File("lxdadmin", "lxdadmin", 0o755)}


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def ev(seconds: float, action: str, **kw: Any) -> Entry:
    return Entry(t=at(seconds).isoformat(), kind="event", action=action, **kw)


def copy_received(seconds: float) -> Entry:
    """A copy or a refresh arriving on the snapshot server (the client's fingerprint)."""
    return ev(seconds, "copy-received", note="9f86d081884c7d65")


def snapshot_taken(seconds: float) -> Entry:
    return ev(seconds, "instance-snapshot-created", snapshot=SNAP, snapshots=[SNAP])


def journal(*events: Entry) -> list[Entry]:
    return [Entry(t=at(0).isoformat(), kind="start", created_at=CREATED, status="Running"), *events]


RAN = (copy_received(30), copy_received(31))  # the script by hand: one copy per container
DONE = journal(*RAN, snapshot_taken(40), copy_received(50))


def primary_holding(**instances: Any) -> Daemon:
    found = {INSTANCE: instance(INSTANCE, (SNAP,)), OTHER: instance(OTHER), **instances}
    return Daemon({k: v for k, v in found.items() if v is not None})


def copy(name: str, snapshots: tuple[str, ...] = (), autostart: str | None = "false") -> Any:
    return instance(name, snapshots, **({} if autostart is None else {"boot.autostart": autostart}))


def server_holding(**copies: Any) -> Daemon:
    found = {INSTANCE: copy(INSTANCE, (SNAP,)), OTHER: copy(OTHER), **copies}
    return Daemon({k: v for k, v in found.items() if v is not None}, trusted=["lxd-primary"])


def learner(crontab: str | None = BOOK_LINE + "\n", **kw: Any) -> Local:
    return Local(**{"remotes": REMOTES, "crontab": crontab, "files": MINE, **kw})


def graded(entries=DONE, primary=None, server=None, local=None) -> Any:
    live = Live(exists=True, created_at=CREATED, status="Running", snapshots={SNAP: CREATED})
    daemons = {
        "primary": primary or primary_holding(),
        "snapshot-server": server or server_holding(),
    }
    return grade(entries, live, lab=LAB, daemons=daemons, local=local or learner())


def outcomes(entries=DONE, primary=None, server=None, local=None) -> dict[str, bool]:
    return graded(entries, primary, server, local).outcomes


def passed_up_to(found: dict[str, bool], step: str) -> None:
    """Every step before `step` passed and `step` did not."""
    at_ = STEPS.index(step)
    assert [found[s] for s in STEPS[:at_]] == [True] * at_, found
    assert found[step] is False, found


def test_the_chapter_done_is_full_marks():
    done = graded()
    done.base.steps = results(LAB, done.outcomes, done.params, {})
    assert (done.base.score, done.base.max_score) == (10, 10), done.outcomes


def test_no_remote_one_at_another_address_or_an_untrusted_one_fails_the_first_step():
    for local in (
        learner(remotes={"local (current)": "unix://"}),
        learner(remotes={"lxd-snapshot": "https://127.0.0.1:8443"}),  # the primary itself
        learner(trusted=False),  # no token used
    ):
        passed_up_to(outcomes(local=local), "remote-ready")


def test_a_script_missing_not_executable_not_the_learners_or_not_bash_fails():
    """cron runs it as the learner: root's file (sudo tee, chown forgotten) or a
    group left as it was would not be theirs to keep editing."""
    for script in (
        {},  # never written
        {SCRIPT: File("lxdadmin", "lxdadmin", 0o644)},  # chmod +x forgotten
        {SCRIPT: File("root", "root", 0o755)},  # chown forgotten
        {SCRIPT: File("lxdadmin", "root", 0o755)},  # the group not changed
        {SCRIPT: File("lxdadmin", "lxdadmin", 0o755, parses=False)},  # bash -n refuses it
    ):
        passed_up_to(outcomes(local=learner(files=script)), "script-made")


def test_no_crontab_fails_the_cron_step():
    passed_up_to(outcomes(local=learner(crontab=None)), "cron-set")


REFUSED = [
    f"00 22 * * * /usr/local/sbin/backup.sh > {LOG} 2>&1",  # not the script
    f"00 22 * * * {SCRIPT}",  # no log
    f"00 22 * * * {SCRIPT} 2>&1",  # errors joined to output, both still unlogged
    f"60 22 * * * {SCRIPT} > {LOG} 2>&1",
    f"00 24 * * * {SCRIPT} > {LOG} 2>&1",
    f"*/0 22 * * * {SCRIPT} > {LOG} 2>&1",
    f"00 22 * jam * {SCRIPT} > {LOG} 2>&1",
    f"00 22 mon * * {SCRIPT} > {LOG} 2>&1",  # a weekday name as the day of the month
    f"00 22 * * {SCRIPT} > {LOG} 2>&1",  # four time fields
    f"# {BOOK_LINE}",
]


def test_a_line_cron_refuses_or_that_does_not_log_the_script_fails_the_cron_step():
    """cron would never run a line it cannot parse, and a run nobody logs cannot be read
    afterwards: neither is the nightly refresh the step asks for."""
    for line in REFUSED:
        assert not CHECKS.runs_logged(line, SCRIPT), line
    passed_up_to(outcomes(local=learner("\n".join(REFUSED) + "\n")), "cron-set")


ACCEPTED = [
    BOOK_LINE,
    f"@daily {SCRIPT} > {LOG} 2>&1",
    f"00 22 * * * {SCRIPT} >> {LOG} 2>&1",
    f"00 22 * * * bash {SCRIPT} &> {LOG}",
    f"0 22 * jan-jun mon-fri {SCRIPT} > {LOG} 2>&1",
    f"*/30 1-5,22 * * 0-7 {SCRIPT} >{LOG} 2>&1",
    f"00 22 * * * {SCRIPT}>{LOG} 2>&1",
    f"00 22 * * * {SCRIPT} 1>>{LOG}",
]

# each names the script, but does not run it logged: another command reads or removes it,
# the output is thrown away or only the errors are kept, or cron's % splits the command
NOT_RUN_LOGGED = [
    f"00 22 * * * echo {SCRIPT} > {LOG} 2>&1",
    f"00 22 * * * rm {SCRIPT} > {LOG} 2>&1",
    f"00 22 * * * {SCRIPT} > /dev/null 2>&1",
    f"00 22 * * * {SCRIPT} 2> {LOG}",
    f"00 22 * * * {SCRIPT} > {LOG}-$(date +%F) 2>&1",
    f"00 22 * * * {SCRIPT}; echo done > {LOG}",  # the echo's output is logged, not the script's
    f"@reboot {SCRIPT} > {LOG} 2>&1",  # at boot, not on a schedule
    f"0² 22 * * * {SCRIPT} > {LOG} 2>&1",  # a digit that is not 0-9
]


def test_a_line_that_names_the_script_but_does_not_run_it_logged_fails():
    for line in NOT_RUN_LOGGED:
        assert not CHECKS.runs_logged(line, SCRIPT), line
    assert CHECKS.runs_logged(f"00 22 * * * {SCRIPT} > {LOG}-$(date +\\%F) 2>&1", SCRIPT)


def test_the_books_line_and_other_valid_logged_forms_pass_the_cron_step():
    for line in ACCEPTED:
        assert CHECKS.runs_logged(line, SCRIPT), line
    kept = f"MAILTO=lxdadmin\n# nightly\n@hourly /usr/bin/true\n{ACCEPTED[1]}\n"
    assert all(outcomes(local=learner(kept)).values())


def test_each_time_field_has_its_own_range_and_names():
    ok = CHECKS.field_ok
    assert ok("59", 0) and not ok("60", 0)
    assert ok("23", 1) and not ok("24", 1)
    assert ok("31", 2) and not ok("0", 2)
    assert ok("DEC", 3) and not ok("13", 3)
    assert ok("7", 4) and ok("sun", 4) and not ok("8", 4)
    assert not ok("jan", 4) and not ok("mon", 3)  # names only in their own field
    assert ok("0-10/5,30", 0) and not ok("*/0", 0) and not ok("1-x", 0)


def test_no_copy_since_the_crontab_fails_the_run():
    passed_up_to(outcomes(journal()), "run-by-hand")


def test_a_container_without_a_copy_or_a_copy_short_of_a_snapshot_fails_the_run():
    """The script refreshes every container: one it skipped, or one whose snapshots did not
    all arrive, leaves that container without a backup."""
    passed_up_to(outcomes(server=server_holding(web=None)), "run-by-hand")
    older = primary_holding(web=instance(OTHER, ("web-snap0",)))
    passed_up_to(outcomes(primary=older), "run-by-hand")


def test_fewer_copies_than_containers_fails_the_run():
    """One copy arriving is one container refreshed (chapter 9's copy, or a refresh by hand),
    not the script's run over all of them."""
    passed_up_to(outcomes(journal(copy_received(30))), "run-by-hand")


def test_the_scripts_run_is_its_nth_copy_not_a_later_refresh():
    """Proven at the Nth copy (N containers): a later refresh counted instead would put the
    new snapshot before the run, and fail the next step."""
    done = graded()
    assert all(done.outcomes.values()) and done.chain.proofs["run-by-hand"] == at(31)
    alone = graded(
        journal(copy_received(30), snapshot_taken(40), copy_received(50)),
        primary=primary_holding(web=None),
        server=server_holding(web=None),
    )
    assert all(alone.outcomes.values()) and alone.chain.proofs["run-by-hand"] == at(30)


def test_a_snapshot_taken_after_the_run_does_not_undo_the_run():
    """Half-way through the next step (snapshot taken, not yet refreshed), the script's run
    still stands: the copy holds every snapshot the container had when it ran."""
    later = T0 + timedelta(seconds=40)
    new = primary_holding(**{INSTANCE: instance(INSTANCE, ((SNAP, later.isoformat()),))})
    lacking = server_holding(**{INSTANCE: copy(INSTANCE)})
    passed_up_to(outcomes(journal(*RAN, snapshot_taken(40)), new, lacking), "snapshot-refreshed")


def test_a_container_made_after_the_script_ran_does_not_undo_the_run():
    """The script refreshed what there was; a container launched later is tomorrow's."""
    late = instance("late")
    late.created_at = at(45).isoformat()
    assert all(outcomes(primary=primary_holding(late=late)).values())


def test_a_snapshot_with_no_copy_after_it_fails_the_refresh():
    """A snapshot of that name taken on the snapshot server itself puts it on the copy, but
    no refresh carried it there."""
    passed_up_to(outcomes(journal(*RAN, snapshot_taken(40))), "snapshot-refreshed")


def test_a_refresh_that_left_the_copy_without_the_snapshot_fails():
    """A refresh mirrors the primary: the snapshot deleted there and refreshed again is gone
    from the copy too."""
    deleted = primary_holding(**{INSTANCE: instance(INSTANCE)})
    lacking = server_holding(**{INSTANCE: copy(INSTANCE)})
    entries = journal(*RAN, snapshot_taken(40), copy_received(50), copy_received(60))
    passed_up_to(outcomes(entries, primary=deleted, server=lacking), "snapshot-refreshed")


def test_a_snapshot_taken_before_the_scripts_run_fails_the_refresh():
    """The script's run carried it: nothing shows a refresh sending only what was new."""
    entries = journal(snapshot_taken(20), *RAN, copy_received(50))
    passed_up_to(outcomes(entries), "snapshot-refreshed")


def test_a_copy_refreshed_without_autostart_off_falls_into_the_trap():
    """The book's refresh (no -c) writes the primary's config over the copy's: the key goes."""
    for autostart in (None, "true", "1"):
        on = server_holding(**{INSTANCE: copy(INSTANCE, (SNAP,), autostart)})
        passed_up_to(outcomes(server=on), "autostart-kept")


def test_autostart_0_or_false_keeps_the_copy_a_backup():
    """chapter 9 set it to 0; the script's -c boot.autostart=false writes false."""
    for autostart in ("0", "false"):
        kept = server_holding(**{INSTANCE: copy(INSTANCE, (SNAP,), autostart)})
        assert all(outcomes(server=kept).values()), autostart
