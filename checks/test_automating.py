"""Chapter 10, graded: one check per step of labs/automating/lab.yaml, in its order.

The fixtures are those of checks/test_snapshot_server.py: `daemons` (the primary and the
snapshot server), `local` (this machine as the learner: their client, their crontab, the
script's file), `history`, `step`, `params` and `snapshot`. Nothing here matches the
script's text: it is judged by what the daemons hold after it ran.
"""

import re
import shlex
from dataclasses import dataclass
from datetime import datetime

import pytest

from snaplab.rules import parse_time, remote_trusted


@pytest.mark.step("remote-ready")
def test_remote_ready(params, local, step):
    assert remote_trusted(local, params)
    step.done()


@pytest.mark.step("script-made")
def test_script_made(params, local, step):
    """cron runs it as the learner: theirs (user and group), executable, and bash parses it."""
    script, me = local.file(params.script), local.user()
    assert script.is_file
    assert script.user == me.name and script.group == me.group
    assert script.mode & 0o100
    assert local.run("bash -n %s", params.script).rc == 0
    step.done()


@pytest.mark.step("cron-set")
def test_cron_set(params, local, step):
    """A line of the learner's crontab runs the script on a valid schedule, output logged."""
    listed = local.run("crontab -l")
    lines = listed.stdout.splitlines() if listed.rc == 0 else []
    assert any(runs_logged(line, params.script) for line in lines)
    step.done()


@pytest.mark.step("run-by-hand")
def test_run_by_hand(history, daemons, step):
    """One copy arrived for each container the script found (those made before the first
    copy), and each has a copy on the snapshot server with every snapshot it had when the
    script ran (one taken since, for the next step, is not yet the script's to carry)."""
    received = history.events("copy-received", after=step.since)
    assert received
    found = [c for c in holdings(daemons["primary"]).values() if c.made <= received[0].when]
    assert found and len(received) >= len(found)
    ran = received[len(found) - 1].when  # the script's run, not a later refresh
    server = holdings(daemons["snapshot-server"])
    for container in found:
        copy = server.get(container.name)
        had = {name for name, taken in container.snapshots.items() if taken <= ran}
        assert copy is not None and had <= set(copy.snapshots)
    step.proven(ran)


@pytest.mark.step("snapshot-refreshed")
def test_snapshot_refreshed(history, daemons, params, snapshot, step):
    """A snapshot taken after the script ran, then a refresh that took it to the server."""
    taken = history.first("instance-snapshot-created", after=step.since, snapshot=snapshot)
    step.proven(taken)
    step.proven(history.first("copy-received", after=taken))
    copy = holdings(daemons["snapshot-server"]).get(params.instance)
    assert copy is not None and snapshot in copy.snapshots


@pytest.mark.step("autostart-kept")
def test_autostart_kept(daemons, params, step):
    """After the last refresh (which writes the source's config over the copy's)."""
    copy = holdings(daemons["snapshot-server"]).get(params.instance)
    assert copy is not None and copy.config.get("boot.autostart") in ("0", "false")
    step.done()


@dataclass
class Holding:
    name: str
    made: datetime
    config: dict
    snapshots: dict  # name -> when it was taken


def holdings(daemon):
    """A daemon's containers with their config and snapshots, in one request (recursion=2):
    a request per container and per snapshot would cost every `check`."""
    listed = daemon.api.instances.get(params={"recursion": 2}).json()["metadata"] or []
    return {
        i["name"]: Holding(
            i["name"],
            parse_time(i["created_at"]),
            i.get("config") or {},
            {s["name"]: parse_time(s["created_at"]) for s in i.get("snapshots") or []},
        )
        for i in listed
    }


# crontab(5): five time fields, each `*` or numbers (ranges, lists, steps; names for month
# and weekday), or one of cron's @keywords (not @reboot: that is no schedule); then the
# command. `crontab` refuses a line that does not parse, but cron's spool can be edited.
FIELDS = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)]
NAMES = [[], [], [], "jan feb mar apr may jun jul aug sep oct nov dec".split(), []]
NAMES[4] = "sun mon tue wed thu fri sat".split()
KEYWORDS = {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}
# standard output (not only errors) sent to a file, and not thrown away
LOGGED = re.compile(r"(?:^|\s|[^\s\d&])(?:&>>?|1?>>?)\s*(?!/dev/null\b)[^\s&;|]")
SHELLS = {"sh", "bash", "/bin/sh", "/bin/bash", "/usr/bin/sh", "/usr/bin/bash"}


def runs_logged(line, script):
    """Whether a crontab line runs `script` (as its command or a shell's argument) at valid
    times, with its own output sent to a file: False for a line cron would refuse, and for
    one whose `%` cron would turn into a new line."""
    words = line.strip().split(None, 5)
    if not words or words[0].startswith("#") or "=" in words[0]:
        return False
    if words[0] in KEYWORDS:
        command = line.strip()[len(words[0]) :]
    elif len(words) == 6 and all(field_ok(w, i) for i, w in enumerate(words[:5])):
        command = words[5]
    else:
        return False
    if re.search(r"(?<!\\)%", command):
        return False
    # the command the script runs in: `script > log; echo done > other` logs only the echo
    first = re.split(r";|&&|\|\|", command, maxsplit=1)[0]
    try:  # the words before the first redirection or pipe: `script>log` runs `script`
        argv = shlex.split(re.split(r"[<>|&]", first, maxsplit=1)[0])
    except ValueError:
        return False
    runs = argv[:1] == [script] or (argv[:1] and argv[0] in SHELLS and argv[1:2] == [script])
    return bool(runs) and bool(LOGGED.search(first))


def field_ok(field, i):
    low, high = FIELDS[i]

    def number(word):
        word = word.lower()
        if word in NAMES[i]:
            return True
        return word.isascii() and word.isdigit() and low <= int(word) <= high

    for part in field.split(","):
        span, _, every = part.partition("/")
        if every and not (every.isascii() and every.isdigit() and int(every) > 0):
            return False
        first, _, last = span.partition("-")
        if span == "*":
            continue
        if not number(first) or (last and not number(last)):
            return False
    return True
