"""`snaplab class watch`'s table: the class page's rows, drawn by rich in a terminal.

The rows come from the same live state as the web page (live.py), in the same order
(who needs help first), so the projector and the instructor's terminal never disagree.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from rich.table import Table
from rich.text import Text as Rich

from snaplab.classroom.labels import LABELS
from snaplab.classroom.live import help_order
from snaplab.lab.journal import parse_time


def ago(iso: str, now: datetime, lang: str) -> str:
    if not iso:
        return ""
    s = max(0, int((now - parse_time(iso)).total_seconds()))
    h, m, s = s // 3600, s % 3600 // 60, s % 60
    units = ("시간", "분", "초") if lang == "ko" else ("h", "m", "s")
    return f"{h}{units[0]} {m:02d}{units[1]}" if h else f"{m}{units[1]} {s:02d}{units[2]}"


def table(snapshot: dict[str, Any], lang: str, now: datetime | None = None) -> Table:
    now = now or datetime.now(UTC)
    t = LABELS[lang]
    stuck = sum(1 for x in snapshot["learners"] if x["live"]["stuck"])
    funnel = " ".join(f"{i}:{n}" for i, n in enumerate(snapshot["funnel"], 1))
    title = f"{t['class']} {snapshot['class']} · {t['lab']} {snapshot['lab']}"
    caption = f"{t['stuck']} {stuck} · {t['funnel']}: {funnel}"
    out = Table(title=title, caption=caption, expand=False)
    for key in ("name", "id", "daemon", "score", "step", "on_step", "last", "status"):
        out.add_column(t[key], justify="right" if key == "score" else "left")
    for r in help_order([x["live"] for x in snapshot["learners"]]):
        style = "bold red" if r["stuck"] else "dim" if r["state"] != "graded" else ""
        if r["complete"]:
            step, status = t["complete"], t["complete"]
        else:
            step = f"{r['step']}. {r['step_title']}" if r["step"] else ""
            status = (t["behind"] if r["behind"] else t["stuck"]) if r["stuck"] else ""
        if r["state"] != "graded":
            status = r["state_label"] + (f": {r['reason']}" if r["reason"] else "")
        out.add_row(
            r["name"],
            r["id"],
            r["daemon"],
            r["score"] or "—",
            step,
            ago(r["on_step_since"], now, lang),
            ago(r["last_activity"], now, lang),
            Rich(status),
            style=style,
        )
    return out
