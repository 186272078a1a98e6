"""Sweeping: remove the probes a doctor left when it was killed outright (kill -9)."""

from __future__ import annotations

import os
import socket as pysocket

from snaplab.doctor.context import Context
from snaplab.doctor.probes import PROBE_PREFIX, PROBE_RUNNER, remove_probe


def _doctor_alive(runner: str) -> bool:
    """Whether the doctor that launched a probe still runs (so its probe is not left over)."""
    host, _, pid = runner.rpartition(":")
    if host != pysocket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's live process
    return True


def sweep(ctx: Context) -> None:
    """Remove probes left by a doctor that was killed outright (kill -9).

    A probe whose doctor still runs (another doctor on the same daemon) is not
    left over: leave it to that doctor.
    """
    client = ctx.conn.client
    for inst in client.instances.all():
        if inst.name.startswith(PROBE_PREFIX) and not _doctor_alive(
            inst.config.get(PROBE_RUNNER, "")
        ):
            remove_probe(client, inst.name)
