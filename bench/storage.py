"""Bench section `storage`: what a snapshot and a restore cost against container size.

For each daemon, a loop-backed btrfs pool named bench-<run>-btrfs is made beside the
default `dir` pool. Then `snaplab doctor --size S --pool P --json` runs N times for each
size and pool, alternating the pools so drift hits both alike; doctor fills a labelled
throwaway container to S with random bytes and times the chapter's cycle on it (the
numbers are doctor's own, so the bench and `doctor --size` can never disagree). The
pool is removed at the end, Ctrl-C too.

The figures, the slope (seconds per 100 MiB, least squares over every sample) and a
chart per language go to build/; `--publish` also writes them to guides/captured/,
where the host page and doctor's dir WARN read them.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SIZES_MIB = (10, 100, 500)
OPS = ("snapshot", "restore", "downtime")
DRIVERS = ("dir", "btrfs")
POOL_SIZE = "4GiB"  # a 500 MiB container and its snapshot, with room to spare
LABELS = {
    "en": {
        "title": "Snapshot cost against container size ({backend})",
        "x": "container size (MiB)",
        "y": "seconds (median; bars: min–max)",
        "snapshot": "snapshot",
        "restore": "restore",
        "downtime": "restore downtime (stop + restore + start)",
    },
    "ko": {
        "title": "컨테이너 크기별 스냅샷 비용 ({backend})",
        "x": "컨테이너 크기 (MiB)",
        "y": "초 (중앙값, 막대: 최소–최대)",
        "snapshot": "스냅샷",
        "restore": "복원",
        "downtime": "복원 중단 시간 (중지 + 복원 + 시작)",
    },
}


def ensure_btrfs_progs() -> None:
    """The daemons shell out to mkfs.btrfs; Debian's btrfs-progs, as host setup installs it."""
    if shutil.which("mkfs.btrfs"):
        return
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-q"], check=True, capture_output=True, env=env)
    subprocess.run(
        ["apt-get", "install", "-y", "-q", "btrfs-progs"], check=True, capture_output=True, env=env
    )


def measure(b: Any, backend: str, stats: Any, say: Any, broken: type[Exception]) -> dict[str, Any]:
    """Rows of (driver, size) with the stats of each operation, for one daemon."""
    cli = {"lxd": "lxc", "incus": "incus"}[backend]
    pool = b.name("btrfs")
    try:
        ensure_btrfs_progs()
    except (OSError, subprocess.CalledProcessError) as e:
        raise broken(f"{backend}: btrfs-progs could not be installed: {e}") from None
    b.run([cli, "storage", "create", pool, "btrfs", f"size={POOL_SIZE}"])
    try:
        pools = {"dir": None, "btrfs": pool}  # None: doctor's default, the default profile's pool
        samples: dict[tuple[str, int], dict[str, list[float]]] = {
            (d, s): {op: [] for op in OPS} for d in DRIVERS for s in SIZES_MIB
        }
        for size in SIZES_MIB:
            for i in range(b.doctor_repeat):
                for driver in DRIVERS if i % 2 == 0 else reversed(DRIVERS):
                    say(f"{backend}: {driver} {size} MiB {i + 1}/{b.doctor_repeat}")
                    argv = ["doctor", "--backend", backend, "--json", "--size", f"{size}M"]
                    if pools[driver]:
                        argv += ["--pool", str(pools[driver])]
                    _, done = b.snap(*argv, ok=(0, 1))
                    report = json.loads(done.stdout)["reports"][0]
                    sized = report["timings"].get("sized")
                    if not sized:
                        detail = next(c for c in report["checks"] if c["id"] == "storage")
                        raise broken(f"{backend}: {driver} {size} MiB: {detail['detail']}")
                    for op in OPS:
                        samples[(driver, size)][op].append(sized[op])
    finally:
        b.run([cli, "storage", "delete", pool], ok=(0, 1))
    rows = [
        {
            "backend": backend,
            "driver": d,
            "size_mib": s,
            **{op: stats(samples[(d, s)][op]) for op in OPS},
        }
        for d in DRIVERS
        for s in SIZES_MIB
    ]
    return {"rows": rows, "slopes": slopes(rows)}


def slope(points: list[tuple[float, float]]) -> float:
    """Least-squares seconds per MiB through (size, seconds) points."""
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    return sum((x - mx) * (y - my) for x, y in points) / sxx if sxx else 0.0


def slopes(rows: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Seconds per 100 MiB, per driver and operation, over every sample (not the medians)."""
    out: dict[str, dict[str, float]] = {}
    for d in DRIVERS:
        mine = [r for r in rows if r["driver"] == d]
        out[d] = {
            # + 0.0: a flat line prints as +0.000, not -0.000
            op: round(100 * slope([(r["size_mib"], t) for r in mine for t in r[op]["samples"]]), 3)
            + 0.0
            for op in OPS
        }
    return out


def chart(rows: list[dict[str, Any]], backends: list[str], lang: str, dest: Path) -> Path:
    """One panel per daemon, a line per driver and operation; text kept as text in the SVG,
    so the page's own (Korean) fonts draw it."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams["svg.fonttype"] = "none"
    # Hangul for the layout where Debian's fonts-nanum is installed (make chromium); the SVG
    # keeps its text as text either way, drawn by the reader's browser in the page's font
    plt.rcParams["font.sans-serif"] = ["DejaVu Sans", "NanumGothic"]
    warnings.filterwarnings("ignore", message="Glyph .* missing from font")
    words = LABELS[lang]
    fig, axes = plt.subplots(1, len(backends), figsize=(5.4 * len(backends), 5), squeeze=False)
    styles = {"dir": "-", "btrfs": "--"}  # the driver by line, the operation by colour
    colours = {"snapshot": "tab:blue", "restore": "tab:orange", "downtime": "tab:green"}
    markers = {"dir": "o", "btrfs": "s"}
    for ax, backend in zip(axes[0], backends, strict=True):
        for d in DRIVERS:
            for op in OPS:
                mine = sorted(
                    (r for r in rows if r["backend"] == backend and r["driver"] == d),
                    key=lambda r: r["size_mib"],
                )
                xs = [r["size_mib"] for r in mine]
                med = [r[op]["median"] for r in mine]
                lo = [r[op]["median"] - r[op]["min"] for r in mine]
                hi = [r[op]["max"] - r[op]["median"] for r in mine]
                ax.errorbar(
                    xs,
                    med,
                    yerr=[lo, hi],
                    linestyle=styles[d],
                    color=colours[op],
                    marker=markers[d],
                    capsize=3,
                    label=f"{d}: {words[op]}",
                )
        ax.set_title(
            words["title"].format(backend=backend.upper() if backend == "lxd" else "Incus")
        )
        ax.set_xlabel(words["x"])
        ax.set_ylabel(words["y"])
        ax.grid(alpha=0.3)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=2, fontsize="small", frameon=False)
    fig.tight_layout(rect=(0, 0.16, 1, 1))
    dest.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(dest, format=dest.suffix[1:])
    plt.close(fig)
    return dest


def write(
    results: dict[str, Any], repeat: int, into: Path, host_note: str | None = None
) -> list[Path]:
    """storage.json (rows, slopes, the machine and the date) and a chart per language."""
    good = {be: r for be, r in results.items() if "rows" in r}
    if not good:
        return []
    rows = [row for r in good.values() for row in r["rows"]]
    data = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "machine": host_note or machine(),
        "repeat": repeat,
        "rows": rows,
        "slopes": {be: r["slopes"] for be, r in good.items()},
    }
    into.mkdir(parents=True, exist_ok=True)
    out = into / "storage.json"
    out.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    charts = [chart(rows, list(good), lang, into / f"storage.{lang}.svg") for lang in LABELS]
    return [out, *charts]


def machine() -> str:
    """What the figures came from, in the words an operator compares hosts with."""
    kernel = platform.release()
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    try:
        distro = next(
            line.split("=", 1)[1].strip().strip('"')
            for line in Path("/etc/os-release").read_text().splitlines()
            if line.startswith("PRETTY_NAME=")
        )
    except (OSError, StopIteration):
        distro = platform.system()
    return f"{distro}, kernel {kernel}, {os.cpu_count()} CPU, {mem:.0f} GiB RAM, loop-backed btrfs"


def render(results: dict[str, Any], fmt: Any, table: Any) -> list[str]:
    out = [
        "6. storage: `snaplab doctor --size S [--pool P]` on dir and a loop-backed btrfs pool;",
        "   seconds, median [min–max]; downtime = stop + restore + start",
    ]
    rows = [["backend", "driver", "MiB", *OPS]]
    for be, r in results.items():
        if "error" in r:
            rows.append([be, f"BROKEN: {r['error']}", "", "", "", ""])
            continue
        for row in r["rows"]:
            rows.append([be, row["driver"], str(row["size_mib"]), *(fmt(row[op]) for op in OPS)])
    out.append(table(rows))
    for be, r in results.items():
        for d, per in r.get("slopes", {}).items():
            said = ", ".join(f"{op} {per[op]:+.3f}" for op in OPS)
            out.append(f"  {be} {d}: seconds per 100 MiB: {said}")
    return [*out, ""]
