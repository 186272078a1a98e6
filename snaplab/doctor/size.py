"""The `--size` bench: what snapshot and restore cost an operator's own container, filled to
a size, rather than the 2 MB lab container's; and what `make bench` measured on btrfs at
the nearest size, for the storage check to set beside a dir pool's figure."""

from __future__ import annotations

import uuid

from pylxd.exceptions import LXDAPIException

from snaplab import instance
from snaplab.doctor.context import Context
from snaplab.doctor.probes import PROBE_PREFIX, cycle, leave_probe, remove_probe
from snaplab.i18n import Text, both


def reference(driver: str, backend: str, size_mib: int) -> float | None:
    """The snapshot time `make bench` measured on `driver` at the nearest size, if shipped.

    The figure comes from guides/captured/storage.json, the same run the host page charts.
    """
    import json

    from snaplab.paths import data_dir

    try:
        rows = json.loads((data_dir("guides") / "captured" / "storage.json").read_text())["rows"]
    except (OSError, KeyError, ValueError, FileNotFoundError):
        return None
    mine = [r for r in rows if r["driver"] == driver and r["backend"] == backend]
    if not mine:
        return None
    nearest = min(mine, key=lambda r: abs(r["size_mib"] - size_mib))
    return float(nearest["snapshot"]["median"])


def measure(ctx: Context) -> Text:
    """Snapshot and restore cost of a container filled to --size, on a probe (probes.py).
    The storage check asks only where a probe can launch (a root disk and the lab image)."""
    client = ctx.conn.client
    name = PROBE_PREFIX + uuid.uuid4().hex[:8]
    try:
        cost = cycle(client, name, fill_mib=ctx.size_mib, pool=ctx.pool)
    except (LXDAPIException, instance.OperationFailed) as e:
        remove_probe(client, name)
        return both(
            f"not measured: the daemon refused: {e}", f"측정하지 않음: 데몬이 거부했습니다: {e}"
        )
    except BaseException:
        leave_probe(client, name)
        raise
    remove_probe(client, name)
    ctx.timings["sized"] = {"size_mib": ctx.size_mib, **cost.to_dict()}
    return (
        both(f"a {ctx.size_mib} MiB container: ", f"{ctx.size_mib} MiB 컨테이너: ")
        + cost.describe()
    )
