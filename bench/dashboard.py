"""`make bench`'s dashboard section: `snaplab class serve` under a whole class at once.

A class of DASHBOARD_N learners (default 200) is set up in projects on one daemon, the
dashboard is served, and one client listens to its /events as a browser would. Then every
learner types the chapter's commands at once, each the moment the previous one returned
(no pauses: the storm). Measured:

  - latency: from the daemon's timestamp of each learner event to the SSE line that
    carries it (`event_t` of a `rows` message: the row shows the event) arriving here;
    same host, same clock
  - grade latency: from the same timestamp to the SSE line whose row is graded with it
    (`graded_since`: the recorder has probed and written it, and the grade ran)
  - the server's CPU (utime + stime of its process, all threads, over wall time): at rest,
    with the class set up and graded and nobody typing, and during the storm
  - a quiet class, before the storm: CALM learners take the chapter's first step one after
    another, each alone; from the daemon's event to the row showing it, and to the row
    graded with it (the score an instructor sees change in a class that is not all typing)
  - settle: from the storm's last command until no learner's grade is still to come

Measured, never asserted: the bench reports the figures against the issue's targets.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import queue
import subprocess
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

LEARNERS = int(os.environ.get("DASHBOARD_N", "200"))
REST_S = 10.0  # seconds of the server at rest
QUIET_S = 10.0  # no message for this long after the storm: the page has settled
SETTLE_MAX_S = float(os.environ.get("DASHBOARD_SETTLE_MAX", "600"))
CALM = 5  # learners who take the first step alone, before the storm (which they then skip)
CALM_WAIT_S = 30.0  # the longest one of them waits for their graded row
COMMAND_TIMEOUT_S = 60.0  # a learner's command the daemon never answers (seen: exec, at 50)
LATENCY_TARGET_S = 1.0  # the issue: p95 under 1 s
REST_CPU_TARGET = 1.0  # percent


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process and its threads, in seconds (/proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


class Listener:
    """The page's side of /events: every `rows` message, with the time it arrived."""

    def __init__(self, url: str) -> None:
        jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        self.opener.open(url, timeout=30).read()  # the token, swapped for the cookie
        self.base = url.split("/?")[0]
        self.messages: queue.Queue[tuple[float, str, dict[str, Any]]] = queue.Queue()
        self.stream = self.opener.open(self.base + "/events?lang=en", timeout=None)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        event = ""
        for raw in self.stream:
            line = raw.decode("utf-8").rstrip("\n")
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                self.messages.put((time.time(), event, json.loads(line[6:])))

    def api(self) -> dict[str, Any]:
        return json.loads(self.opener.open(self.base + "/api/class", timeout=60).read())

    def drain(self, quiet: float, longest: float) -> list[tuple[float, str, dict[str, Any]]]:
        """Messages until none came for `quiet` seconds (or `longest` passed)."""
        got = []
        deadline = time.monotonic() + longest
        while time.monotonic() < deadline:
            try:
                got.append(self.messages.get(timeout=quiet))
            except queue.Empty:
                break
        return got


def alone(listen: Listener, argv: list[str], daemon_time: Any) -> tuple[float | None, float | None]:
    """One learner's command in a quiet class: seconds from the daemon's event to the row
    that shows it, and to the row graded with it (None: not within CALM_WAIT_S)."""
    subprocess.run(argv, capture_output=True, text=True, cwd="/tmp", timeout=COMMAND_TIMEOUT_S)
    shown = graded = None
    deadline = time.monotonic() + CALM_WAIT_S
    while graded is None and time.monotonic() < deadline:
        try:
            arrived, event, data = listen.messages.get(timeout=1)
        except queue.Empty:
            continue
        if event != "rows":
            continue
        if shown is None and data.get("event_t"):
            shown = arrived - daemon_time(data["event_t"][0])
        if data.get("graded_since"):
            graded = arrived - daemon_time(data["graded_since"][0])
    return shown, graded


def measure(
    b: Any,
    backend: str,
    stats: Any,
    say: Any,
    broken: type[Exception],
    chapter: list[tuple[str, str | None]],
    daemon_time: Any,
    may_fail: Any,
) -> dict[str, Any]:
    n = LEARNERS
    name = f"d{b.run_id}-{backend}"
    roster = b.state / f"{name}.csv"
    rows = [f"l{i:03d},learner {i},local,{backend}" for i in range(1, n + 1)]
    roster.write_text("id,name,target,backend\n" + "\n".join(rows) + "\n")
    say(f"{backend}: dashboard — setup of {n} learners (not timed)")
    serve = None
    try:
        b.snap("class", "setup", str(roster), "--name", name)
        serve = subprocess.Popen(
            [b.snaplab, "class", "serve", str(roster), "--name", name, "--listen", "127.0.0.1:0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=b.env,
            cwd="/tmp",
        )
        assert serve.stdout is not None
        line = serve.stdout.readline()
        if "?token=" not in line:
            raise broken(f"class serve: {line} {serve.stderr.read() if serve.stderr else ''}")
        url = line.split()[line.split().index("at") + 1]
        listen = Listener(url)
        say(f"{backend}: dashboard — waiting for the first grade of everyone")
        deadline = time.monotonic() + SETTLE_MAX_S
        while any(x["live"]["state"] == "waiting" for x in listen.api()["learners"]):
            if time.monotonic() > deadline:
                raise broken("class serve: the first grade of the class never finished")
            time.sleep(1)
        listen.drain(2.0, 60)

        say(f"{backend}: dashboard — {REST_S:g} s at rest")
        c0, t0 = cpu_seconds(serve.pid), time.monotonic()
        time.sleep(REST_S)
        rest = 100 * (cpu_seconds(serve.pid) - c0) / (time.monotonic() - t0)
        listen.drain(0.01, 1)

        def argv_of(command: str, i: int) -> list[str]:
            argv = command.format(i="ubuntu-test", s="ubuntu-test-1").split()
            argv[1:1] = ["--project", f"{name}-l{i:03d}"]
            return argv

        say(f"{backend}: dashboard — a quiet class: {CALM} learners take the first step alone")
        quiet = [
            alone(listen, argv_of(chapter[0][0], i), daemon_time)
            for i in range(1, min(CALM, n) + 1)
        ]
        listen.drain(1.0, 10)

        def learner(i: int) -> list[str]:
            project = f"{name}-l{i:03d}"
            failed = []
            for command, stdin in chapter[1:] if i <= CALM else chapter:  # theirs was taken
                argv = argv_of(command, i)
                try:
                    done = subprocess.run(
                        argv, input=stdin, capture_output=True, text=True, cwd="/tmp",
                        timeout=COMMAND_TIMEOUT_S,
                    )  # fmt: skip
                except subprocess.TimeoutExpired:  # killed: `lxc exec` forwards SIGTERM inside
                    failed.append(f"{project}: {command}: no answer in {COMMAND_TIMEOUT_S:g} s")
                    continue
                if done.returncode != 0 and not may_fail(command, stdin):
                    failed.append(f"{project}: {command}: {done.stderr.strip()[:120]}")
            return failed

        say(f"{backend}: dashboard — the storm: {n} learners, {len(chapter)} commands each")
        c0, t0, began = cpu_seconds(serve.pid), time.monotonic(), time.time()
        with ThreadPoolExecutor(max_workers=n) as pool:
            failures = [f for fs in pool.map(learner, range(1, n + 1)) for f in fs]
        storm_s = time.monotonic() - t0
        storm_cpu = 100 * (cpu_seconds(serve.pid) - c0) / storm_s
        ended = time.time()
        say(f"{backend}: dashboard — storm over; waiting for the grades to catch up")
        deadline = time.monotonic() + SETTLE_MAX_S
        while listen.api()["to_grade"] and time.monotonic() < deadline:
            time.sleep(1)
        caught_up = time.time()
        messages = listen.drain(QUIET_S, SETTLE_MAX_S)
        settled = caught_up - ended  # the last learner's grade after their last command
        pairs = [
            (arrived, daemon_time(t), daemon_time(h))
            for arrived, event, data in messages
            if event == "rows"
            for t, h in zip(data.get("event_t", []), data.get("heard_t", []), strict=False)
            if daemon_time(t) >= began - 1
        ]
        latencies = [arrived - t for arrived, t, _h in pairs]
        graded = [
            arrived - daemon_time(g)
            for arrived, event, data in messages
            if event == "rows"
            for g in data.get("graded_since", [])
            if daemon_time(g) >= began - 1
        ]
        recorder = [h - t for _a, t, h in pairs]  # daemon event → the server heard it
        server = [arrived - h for arrived, _t, h in pairs]  # heard → its SSE line here
        final = listen.api()
        scores = [x["live"]["score"] for x in final["learners"]]
        if failures:
            b.notes.append(f"dashboard: {len(failures)} commands failed, e.g. {failures[0]}")
            b.notes += [f"dashboard: {f}" for f in failures[1:10]]
    finally:
        if serve is not None:
            serve.terminate()
            try:
                serve.wait(15)
            except subprocess.TimeoutExpired:
                serve.kill()
        _, done = b.snap("class", "teardown", str(roster), "--name", name, ok=(0, 8))
        if done.returncode:  # a storm LXD did not survive whole: what it left is said
            left = [x.strip() for x in done.stdout.splitlines() if x.strip().startswith("FAILED")]
            b.problems.append(f"dashboard: class teardown left learners behind: {left[:5]}")
    if not latencies:
        raise broken("class serve: no event reached /events during the storm")
    p50, p95 = percentile(latencies, 50), percentile(latencies, 95)
    return {
        "learners": n,
        "commands": n * len(chapter),
        "commands_failed": len(failures),
        "storm_seconds": round(storm_s, 1),
        "events_measured": len(latencies),
        "latency": {**stats(latencies), "p50": round(p50, 3), "p95": round(p95, 3)},
        "recorder_p50_p95": [
            round(percentile(recorder, 50), 3),
            round(percentile(recorder, 95), 3),
        ],
        "server_p50_p95": [round(percentile(server, 50), 3), round(percentile(server, 95), 3)],
        "graded_p50_p95": [round(percentile(graded, 50), 3), round(percentile(graded, 95), 3)],
        "quiet": {
            "shown": [None if s is None else round(s, 3) for s, _ in quiet],
            "graded": [None if g is None else round(g, 3) for _, g in quiet],
        },
        "cpu_rest_percent": round(rest, 2),
        "cpu_storm_percent": round(storm_cpu, 1),
        "settle_seconds": round(settled, 1),
        "final_scores": {s: scores.count(s) for s in sorted(set(scores))},
        "targets": [
            {
                "what": f"event → SSE p95 < {LATENCY_TARGET_S:g} s",
                "value": round(p95, 3),
                "limit": LATENCY_TARGET_S,
                "met": p95 < LATENCY_TARGET_S,
            },
            {
                "what": f"server CPU at rest < {REST_CPU_TARGET:g} %",
                "value": round(rest, 2),
                "limit": REST_CPU_TARGET,
                "met": rest < REST_CPU_TARGET,
            },
        ],
    }


def render(results: dict[str, Any], fmt: Any, table: Any) -> list[str]:
    out = [
        "7. dashboard: `snaplab class serve` while every learner of a class types the chapter",
        "   at once, no pauses; latency = daemon event time → its SSE line here (p50, p95);",
        "   CPU = the server process's, at rest and during the storm",
    ]
    rows = [
        ["backend", "learners", "storm s", "p50 s", "p95 s", "CPU rest", "CPU storm", "settle s"]
    ]
    for be, r in results.items():
        if "error" in r:
            rows.append([be, "BROKEN", r["error"][:60]])
            continue
        lat = r["latency"]
        rows.append(
            [
                be,
                str(r["learners"]),
                f"{r['storm_seconds']:.0f}",
                f"{lat['p50']:.3f}",
                f"{lat['p95']:.3f}",
                f"{r['cpu_rest_percent']:.2f} %",
                f"{r['cpu_storm_percent']:.1f} %",
                f"{r['settle_seconds']:.0f}",
            ]
        )
    out.append(table(rows))
    for be, r in results.items():
        for t in r.get("targets", []):
            mark = "met" if t["met"] else "NOT met"
            out.append(f"   {be}: {t['what']}: {t['value']} ({mark})")
        if "recorder_p50_p95" in r:
            rec, srv = r["recorder_p50_p95"], r["server_p50_p95"]
            out.append(
                f"   {be}: of which daemon event → server heard it p50 {rec[0]} s, p95 "
                f"{rec[1]} s; heard → SSE line p50 {srv[0]} s, p95 {srv[1]} s"
            )
        if "graded_p50_p95" in r:
            g = r["graded_p50_p95"]
            out.append(
                f"   {be}: daemon event → the row graded with it: p50 {g[0]} s, p95 {g[1]} s"
            )
        if "quiet" in r:
            q = r["quiet"]
            out.append(
                f"   {be}: a quiet class, {len(q['shown'])} learners' first step each alone: "
                f"event → row {q['shown']} s; → graded row {q['graded']} s"
            )
        if "final_scores" in r:
            out.append(f"   {be}: final scores on the page: {r['final_scores']}")
    out.append("")
    return out
