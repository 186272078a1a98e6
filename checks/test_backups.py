"""Beyond chapter 8, graded: one check per step of labs/backups/lab.yaml, in its order.

A snapshot is kept in its container's own storage pool; a backup is a file somewhere else.
The evidence is the daemon's events, the lab container's and (`record.others`) the import's,
which `history` gives with `name=params.copy`, and the export file on this machine, read
through `local` (this machine as the learner: a testinfra host). The fixtures are those of
checks/test_snapshots.py and checks/test_automating.py.
"""

import pytest
import yaml
from pylxd.exceptions import NotFound

from snaplab.rules import EXEC_ENDED, TICK, parse_time

INDEX = "backup/index.yaml"  # the first member of every export, LXD 5.0 and Incus 6.0 alike
ROOTFS = "backup/container/rootfs"  # where a container's files are in an export
UUID = "volatile.uuid"  # an import keeps the exported container's; `copy` makes a new one


@pytest.mark.step("file-made")
def test_file_made(history, step, params):
    """Seen in the lab container after `start` (whose own look found none): by the probe at
    the end of the learner's exec, or by check's own look."""
    seen = [e for e in history.sightings(params.file, after=step.since) if e.files[params.file]]
    step.proven(seen[0].when if seen else None)


@pytest.mark.step("exported")
def test_exported(history, step, params, local):
    """The daemon handed the container's backup to a client once the file was made (its own
    probe may be the first to see the file), and the file at {backup} is the learner's own,
    an export of this very container (its index names it, with its creation time) that holds
    the file."""
    step.proven(history.first("instance-backup-retrieved", after=step.since - TICK))
    backup = local.file(params.backup)
    assert backup.is_file and backup.user == local.user().name
    index = export_index(local, params.backup)
    assert index is not None and index.get("name") == params.instance
    assert same_time(exported(index).get("created_at"), history.live.created_at)
    assert local.run("tar -tf %s --occurrence %s", params.backup, ROOTFS + params.file).rc == 0


@pytest.mark.step("imported")
def test_imported(history, step, params, local, daemons):
    """A container of that name made after the export, from it: an import keeps the exported
    container's volatile.uuid, while `copy` of the lab container gives a new one. The uuid is
    read where the recorder probed the import (its start, a look inside) or, while it is
    still there, from the daemon now."""
    index = export_index(local, params.backup)
    uuid = (exported(index).get("config") or {}).get(UUID) if index else None
    assert uuid
    for made in history.events("instance-created", name=params.copy, after=step.since):
        gone = history.first("instance-deleted", name=params.copy, after=made.when)
        life = history.events(
            "instance-started",
            "instance-exec",
            EXEC_ENDED,
            name=params.copy,
            after=made.when,
            before=gone,
        )
        seen = {e.config.get(UUID) for e in life}
        if gone is None:
            seen.add(uuid_now(daemons["primary"], params.copy))
        if uuid in seen:
            step.proven(made.when)
            return
    step.proven(None)


@pytest.mark.step("import-started")
def test_import_started(history, step, params):
    step.proven(history.first("instance-started", name=params.copy, after=step.since))


@pytest.mark.step("file-found")
def test_file_found(history, step, params):
    """A learner's own look inside the import (not snaplab's), while the file was there."""
    step.proven(
        history.first(
            "instance-exec",
            EXEC_ENDED,
            name=params.copy,
            after=step.since,
            where=lambda e: not e.own and e.files.get(params.file) is True,
        )
    )


@pytest.mark.step("import-removed")
def test_import_removed(history, step, params):
    """Deleted after the look, and not imported again since: the lab leaves no import."""
    deleted = history.first("instance-deleted", name=params.copy, after=step.since)
    step.proven(deleted)
    assert not history.events("instance-created", name=params.copy, after=deleted)


def uuid_now(daemon, name):
    """The instance's volatile.uuid as the daemon has it now; None if there is no such one."""
    try:
        return daemon.instances.get(name).config.get(UUID)
    except NotFound:
        return None


def export_index(local, path):
    """The export's index as written (every value a string), or None: no file, not a tarball,
    or a tarball with no index."""
    found = local.run("tar -xOf %s --occurrence %s", path, INDEX)
    if found.rc != 0:
        return None
    try:
        index = yaml.load(found.stdout, Loader=yaml.BaseLoader)
    except yaml.YAMLError:
        return None
    return index if isinstance(index, dict) else None


def exported(index):
    """The exported container's own record in the index: its config and creation time."""
    config = index.get("config")
    found = config.get("container") if isinstance(config, dict) else None
    return found if isinstance(found, dict) else {}


def same_time(a, b):
    """One moment in two spellings (the index keeps nanoseconds, pylxd's may not)."""
    try:
        return bool(a and b) and parse_time(a) == parse_time(b)
    except ValueError:
        return False
