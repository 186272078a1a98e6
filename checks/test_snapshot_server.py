"""Chapter 9, graded: one check per step of labs/snapshot-server/lab.yaml, in its order.

Besides the fixtures of checks/test_snapshots.py (`history`, `step`, `snapshot`, `params`),
these use `daemons["snapshot-server"]`, the book's second host (a pylxd client), and
`local`, this machine as a testinfra host, run as the learner: their client's remotes.
"""

import pytest
from pylxd.exceptions import NotFound

from snaplab.rules import parse_time, remote_trusted


def server_instance(daemons, params):
    try:
        return daemons["snapshot-server"].instances.get(params.instance)
    except NotFound:
        return None


def trusted(daemons, name):
    return any(c.name == name for c in daemons["snapshot-server"].certificates.all())


def token_for(daemons, name):
    ops = daemons["snapshot-server"].api.operations.get(params={"recursion": 1}).json()
    running = (ops.get("metadata") or {}).get("running") or []
    return any(
        op.get("class") == "token"
        and (op.get("metadata") or {}).get("request", {}).get("name") == name
        for op in running
    )


@pytest.mark.step("token-made")
def test_token_made(daemons, params, step):
    """A token for the primary waits on the snapshot server, or was used already: the
    server trusts a certificate of that name."""
    assert token_for(daemons, params.primary) or trusted(daemons, params.primary)
    step.done()


@pytest.mark.step("remote-added")
def test_remote_added(params, local, step):
    assert remote_trusted(local, params)
    step.done()


@pytest.mark.step("snapshot-listed")
def test_snapshot_listed(history, step, snapshot):
    """A snapshot after the lab started, then `info` while it existed."""
    taken = history.first("instance-snapshot-created", after=step.since, snapshot=snapshot)
    step.proven(taken)
    deleted = history.first("instance-snapshot-deleted", after=taken, snapshot=snapshot)
    step.proven(history.first("info-requested", after=taken, before=deleted))


@pytest.mark.step("copied")
def test_copied(history, daemons, params, step):
    """On the snapshot server: a copy of the lab's container (it carries the lab's label and
    comes from the same image), made after the snapshot was taken."""
    copy = server_instance(daemons, params)
    lab = daemons["primary"].instances.get(params.instance)
    assert copy is not None
    for key in ("user.snaplab.owner", "volatile.base_image"):
        assert copy.config.get(key) == lab.config.get(key)
    made = parse_time(copy.created_at)
    assert made > step.since
    step.proven(made)


@pytest.mark.step("server-listed")
def test_server_listed(history, daemons, params, step):
    """The snapshot server's instances listed after the copy; the copy is STOPPED there."""
    step.proven(history.first("server-listed", after=step.since))
    assert server_instance(daemons, params).status == "Stopped"


@pytest.mark.step("autostart-off")
def test_autostart_off(daemons, params, step):
    copy = server_instance(daemons, params)
    assert copy is not None and copy.config.get("boot.autostart") in ("0", "false")
    step.done()


@pytest.mark.step("schedule-set")
def test_schedule_set(history, params, step):
    """A moment (after the copy) when the primary's container had the book's schedule,
    pattern and expiry all at once."""
    book = {
        "snapshots.schedule": params.schedule,
        "snapshots.pattern": params.pattern,
        "snapshots.expiry": params.expiry,
    }
    step.proven(
        history.first(
            "instance-updated",
            after=step.since,
            where=lambda e: all(e.config.get(k) == v for k, v in book.items()),
        )
    )


@pytest.mark.step("schedule-seen")
def test_schedule_seen(history, params, step):
    """Once the container is set to every minute with a short expiry: a snapshot the daemon's
    scheduler made (not the learner), named by the pattern, then deleted by its pruner."""

    def fast(e):
        config = e.config
        schedule, expiry = config.get("snapshots.schedule"), config.get("snapshots.expiry")
        return schedule == params.every_minute and expiry == params.short_expiry

    set_at = history.first("instance-updated", after=step.since, where=fast)
    step.proven(set_at)
    prefix = params.pattern.split("{{")[0]
    made = history.events(
        "instance-snapshot-created",
        after=set_at,
        by="scheduler",
        where=lambda e: e.snapshot.startswith(prefix),
    )
    pruned = [
        history.first("instance-snapshot-deleted", after=m.when, by="pruner", snapshot=m.snapshot)
        for m in made
    ]
    step.proven(next((p for p in pruned if p is not None), None))
