"""The backups lab's checks on hand-made evidence: each fails when its step was skipped or done
wrong. The journal holds the lab container's events and the import's (Entry.name), and this
machine is the stand-in of tests/unit/graded.py with the export file on it: pure logic, no
daemon."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from snaplab.lab.grader import results
from snaplab.lab.history import Live
from snaplab.lab.journal import Entry
from snaplab.lab.model import fill, load, placeholders, render
from tests.unit.graded import Daemon, File, Local, done, grade, instance

LAB = load("backups")
STEPS = [s.id for s in LAB.steps]
PARAMS = placeholders(LAB, "lxd", LAB.instance, "")
INSTANCE, FILE, BACKUP, COPY = (PARAMS[k] for k in ("instance", "file", "backup", "copy"))
T0 = datetime(2026, 12, 5, 21, 0, tzinfo=UTC)
CREATED = "2026-12-05T20:59:59.123456789Z"  # the daemon's spelling: nanoseconds
UUID = "de968e6b-2cbd-46c8-be7e-fe789239d651"
MEMBER = f"backup/container/rootfs{FILE}"


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def ev(seconds: float, action: str, **kw: Any) -> Entry:
    return Entry(t=at(seconds).isoformat(), kind="event", action=action, **kw)


def mine(seconds: float, action: str, **kw: Any) -> Entry:
    """An event of the import, probed as the recorder probes it."""
    return ev(seconds, action, name=COPY, config={"volatile.uuid": UUID}, **kw)


START = Entry(t=at(0).isoformat(), kind="start", created_at=CREATED, files={FILE: False})
MADE = (
    ev(10, "instance-exec", files={FILE: False}),
    ev(11, "instance-exec-ended", files={FILE: True}),
)
EXPORTED = ev(20, "instance-backup-retrieved", files={FILE: True})
IMPORTED = ev(30, "instance-created", name=COPY)  # written down, not probed: mid-restore
STARTED = mine(40, "instance-started", files={FILE: True}, status="Running")
LOOKED = (
    mine(50, "instance-exec", files={FILE: True}, status="Running"),
    mine(51, "instance-exec-ended", files={FILE: True}, status="Running"),
)
REMOVED = ev(60, "instance-deleted", name=COPY, status="Missing")
UNSEEN = replace(EXPORTED, files={FILE: False})  # an export whose probe saw no file
DONE = [START, *MADE, EXPORTED, IMPORTED, STARTED, *LOOKED, REMOVED]


def index(name: str = INSTANCE, created: str = CREATED, uuid: str = UUID) -> str:
    """An export's backup/index.yaml, as LXD 5.0 and Incus 6.0 write it (abridged)."""
    return (
        f"name: {name}\nbackend: dir\npool: default\ntype: container\nconfig:\n"
        f"  container:\n    config:\n      volatile.uuid: {uuid}\n"
        f"    created_at: {created}\n"
    )


@dataclass
class Export:
    """A file on this machine as tar reads it: its index (None: not a tarball) and members."""

    index: str | None = field(default_factory=index)
    members: tuple[str, ...] = ("backup/index.yaml", MEMBER)


class Host(Local):
    """The learner's machine with their export file: `tar` answers what it holds."""

    def __init__(self, exports: dict[str, Export], **kw: Any) -> None:
        files = {path: File("lxdadmin", "lxdadmin", 0o644) for path in exports}
        super().__init__(remotes={}, **{"files": files, **kw})
        self.exports = exports

    def run(self, command: str, *args: str) -> Any:
        command = command % args if args else command
        words = command.split()
        if words[:2] == ["tar", "-xOf"] and words[-1] == "backup/index.yaml":
            found = self.exports.get(words[2])
            ok = found is not None and found.index is not None
            return done(0, found.index) if ok else done(2)  # type: ignore[union-attr]
        if words[:2] == ["tar", "-tf"]:
            found = self.exports.get(words[2])
            return done(0 if found and found.index and words[-1] in found.members else 2)
        raise AssertionError(f"local ran what no fake answers: {command}")


def learner(export: Export | None = None, **kw: Any) -> Host:
    return Host({BACKUP: export or Export()}, **kw)


def daemon(uuid: str | None = None) -> Daemon:
    """The primary now: the import there with that volatile.uuid, or (None) no import."""
    return Daemon({} if uuid is None else {COPY: instance(COPY, **{"volatile.uuid": uuid})})


def graded(entries: list[Entry] = DONE, local: Host | None = None, now: str | None = None) -> Any:
    live = Live(exists=True, created_at=CREATED, status="Running", protected=True)
    live.files = {FILE: True}
    primary = {"primary": daemon(now)}
    return grade(entries, live, lab=LAB, local=local or learner(), daemons=primary)


def outcomes(
    entries: list[Entry] = DONE, local: Host | None = None, now: str | None = None
) -> dict[str, bool]:
    return graded(entries, local, now).outcomes


def passed_up_to(found: dict[str, bool], step: str) -> None:
    """Every step before `step` passed and `step` did not."""
    i = STEPS.index(step)
    assert [found[s] for s in STEPS[:i]] == [True] * i, found
    assert found[step] is False, found


def without(*gone: Entry) -> list[Entry]:
    return [e for e in DONE if e not in gone]


def test_the_lab_done_is_full_marks():
    done_ = graded()
    done_.base.steps = results(LAB, done_.outcomes, done_.params, {})
    assert (done_.base.score, done_.base.max_score) == (10, 10), done_.outcomes


def test_no_step_can_be_skipped_for_full_marks():
    """Each step's own evidence taken away: that step fails and the grade is not full."""
    evidence = {
        "file-made": MADE,
        "exported": (EXPORTED,),
        "imported": (IMPORTED,),
        "import-started": (STARTED,),
        "file-found": LOOKED,
        "import-removed": (REMOVED,),
    }
    assert list(evidence) == STEPS
    for step, gone in evidence.items():
        entries = without(*gone)
        if step == "file-made":
            entries = [UNSEEN if e is EXPORTED else e for e in entries]
        passed_up_to(outcomes(entries), step)


def test_a_file_first_seen_by_the_exports_own_probe_was_made_before_it():
    """Made without an exec (`file push`): the export's probe saw it, and the export holds it."""
    found = outcomes(without(*MADE))
    assert all(found.values()), found


def test_a_file_seen_only_at_start_or_only_in_the_import_is_not_made():
    """The lab container had none; a sighting in the import is the import's, not this step's."""
    passed_up_to(outcomes([START, UNSEEN, IMPORTED, STARTED, *LOOKED, REMOVED]), "file-made")


def test_the_file_made_after_the_export_fails_the_export():
    """The export came first: it cannot hold the file, whatever the tarball now says."""
    later = [START, UNSEEN, ev(25, "instance-exec-ended", files={FILE: True}), IMPORTED]
    passed_up_to(outcomes([*later, STARTED, *LOOKED, REMOVED]), "exported")


def test_no_export_file_or_one_that_is_no_export_of_this_container_fails():
    for local in (
        Host({}),  # exported somewhere else, or removed since
        learner(Export(index=None)),  # not a tarball (touched, or copied over)
        learner(Export(members=("backup/index.yaml",))),  # exported before the file was made
        learner(Export(index=index(name="other"))),  # another container's export
        learner(Export(index=index(created="2026-12-01T10:00:00Z"))),  # an earlier ubuntu-test
        learner(Export(index="- not\n- an index\n")),
        learner(Export(index="name: [unclosed\n")),
    ):
        passed_up_to(outcomes(local=local), "exported")


def test_an_export_file_that_is_not_the_learners_fails():
    """Written with sudo, or by another user: not the learner's backup to keep."""
    passed_up_to(outcomes(local=learner(user=("incusadmin", "incusadmin"))), "exported")


def test_the_index_times_match_in_any_spelling():
    """The index keeps nanoseconds; the time the daemon gives the lab may be spelt otherwise."""
    short = learner(Export(index=index(created="2026-12-05T20:59:59.123456Z")))
    assert all(outcomes(local=short).values())


def test_a_copy_instead_of_an_import_fails_the_import():
    """`copy` of the lab container makes {copy} too, but from the pool: a new volatile.uuid."""
    copied = [replace(e, config={"volatile.uuid": "0000"}) if e.name == COPY else e for e in DONE]
    passed_up_to(outcomes(copied), "imported")


def test_an_import_not_yet_started_is_known_by_what_the_daemon_holds_now():
    """Its creation is not probed (a look mid-restore can fail it): the daemon says now
    whether it is the export's."""
    just = [START, *MADE, EXPORTED, IMPORTED]
    found = outcomes(just, now=UUID)
    passed_up_to(found, "import-started")
    passed_up_to(outcomes(just, now="0000"), "imported")  # a copy: a uuid of its own
    passed_up_to(outcomes(just), "imported")  # made, and already gone


def test_an_import_before_the_export_fails_the_import():
    """An import of an older file came before this export: not a restore of it."""
    early = replace(IMPORTED, t=at(15).isoformat())
    passed_up_to(outcomes([START, *MADE, early, EXPORTED, STARTED, *LOOKED, REMOVED]), "imported")


def test_the_lab_containers_own_start_and_look_do_not_count_for_the_import():
    theirs = [replace(e, name="") for e in (STARTED, *LOOKED)]
    imported = [START, *MADE, EXPORTED, IMPORTED]
    passed_up_to(outcomes([*imported, *theirs], now=UUID), "import-started")
    looked_here = [replace(e, name="") for e in LOOKED]
    passed_up_to(outcomes([*DONE[:6], *looked_here, REMOVED]), "file-found")


def test_a_look_that_saw_no_file_or_snaplabs_own_exec_fails_the_look():
    for look in (
        [replace(e, files={FILE: False}) for e in LOOKED],
        [replace(e, files={}) for e in LOOKED],  # the probe could not tell
        [replace(e, own=True) for e in LOOKED],
    ):
        passed_up_to(outcomes([*DONE[:6], *look, REMOVED]), "file-found")


def test_an_import_made_again_after_the_deletion_is_not_removed():
    again = mine(70, "instance-created", files={FILE: True})
    passed_up_to(outcomes([*DONE, again]), "import-removed")


def test_each_hint_names_every_command_of_its_step():
    """A page's hint shows one command: a step of two names both in its hint's own words."""
    for backend in ("lxd", "incus"):
        names = placeholders(LAB, backend, "mine", "")
        for step in LAB.steps:
            typed = [render(c, names) for c in step.commands[backend]]
            for lang in ("en", "ko"):
                hint = fill(step.hint, {**names, "command": typed[0]}).get(lang)
                assert all(c in hint for c in typed), (step.id, lang, hint)
