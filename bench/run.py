"""snaplab's benchmarks: speed figures, as ratios against baselines measured in the same run.

Speed is measured, never asserted: the bench exits 0 whatever the times are, and
non-zero only when something is broken (a command fails, a lab does not grade as
solved). Every figure is the median of N wall-clock repetitions, with min and max,
of a whole subprocess (Python start-up included), run alternately with its baseline
so that drift on a shared host hits both alike.

  1. `snaplab check snapshots` on a solved lab, answered by the session's recorder and (with
     SNAPLAB_NO_RECORDER_CHECK=1) graded in-process,  vs  bench/verify5.sh (five plain CLI
     calls) and bench/verify.sh (the same live reads); and `snaplab watch`'s latency: from the
     daemon event's timestamp to the line watch prints, median over the chapter's steps
  2. `snaplab solve snapshots` on a fresh lab    vs  bench/chapter.sh (the bare chapter)
  3. `snaplab doctor --backend B`, and the snapshot/restore times its probe prints
  4. `snaplab host setup` on a host already set up (warm)
  5. classes of 10, 50 and 200 learners in projects on the local LXD (bench/classes.py):
     `snaplab class setup`, `snaplab class grade` (median of 3) and `snaplab class teardown`,
     whole and per learner; each class torn down straight after, and at the end on failure
  6. storage: snapshot, restore and restore downtime against container size (10, 100 and
     500 MiB) on dir and on a loop-backed btrfs pool, through `snaplab doctor --size`
     (bench/storage.py); --publish writes the figures and charts to guides/captured/
  7. dashboard: `snaplab class serve` while a class of $DASHBOARD_N (200) types the chapter
     at once: event → SSE latency p50/p95, the server's CPU at rest and in the storm, and
     first a quiet class, five learners each acting alone (bench/dashboard.py; on the first
     backend only)

Everything it creates is named bench-<run id>-… and removed at the end (Ctrl-C too);
the lab state lives in a temporary XDG_STATE_HOME. Usage:

  python bench/run.py [--repeat N] [--backends lxd,incus] [--only check,...,storage] [--publish]
                      [--class-sizes 10,50,200]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import queue
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import classes
import dashboard
import storage

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
OUT = ROOT / "build" / "bench.json"
LAB = "snapshots"
SNAPSHOT = "ubuntu-test-1"  # the lab's default snapshot name, which `solve` uses
IMAGE = "snaplab-lab"
CLI = {"lxd": "lxc", "incus": "incus"}
SECTIONS = ("check", "solve", "doctor", "host", "class", "storage", "dashboard")
CAPTURED = ROOT / "guides" / "captured"  # where --publish puts the storage figures
CHECK_TARGET_S = 0.5  # the issue: check under 0.5 s on LXD ...
CHECK_TARGET_RATIO = 1.0  # ... and no slower than the shell verifiers
IN_PROCESS = {"SNAPLAB_NO_RECORDER_CHECK": "1"}  # check grades in its own process
SOLVE_TARGET_RATIO = 1.2
# a snaplab that failed at start-up, before doing anything, because its venv is being rewritten
REINSTALLING = re.compile(
    r"ModuleNotFoundError|ImportError|cannot import name|No such file or directory: '/"
)


class Broken(Exception):
    """Something failed that is not a matter of speed: the bench will exit 1."""


@dataclass
class Bench:
    snaplab: str
    repeat: int
    doctor_repeat: int
    state: Path
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:6])
    labs: list[tuple[str, str]] = field(default_factory=list)  # (backend, instance) started
    plain: list[tuple[str, str]] = field(default_factory=list)  # (backend, instance) launched
    classes: list[list[str]] = field(default_factory=list)  # teardown argv of classes set up
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # worth knowing, not broken

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "XDG_STATE_HOME": str(self.state), "SNAPLAB_LANG": "en"}

    def name(self, *parts: str) -> str:
        return "-".join(("bench", self.run_id, *parts))

    def run(
        self,
        argv: list[str],
        ok: tuple[int, ...] = (0,),
        what: str = "",
        env: dict[str, str] | None = None,
    ) -> tuple[float, subprocess.CompletedProcess[str]]:
        """One subprocess, timed from fork to exit; an unexpected exit code is Broken."""
        what = what or " ".join(argv)
        t = time.perf_counter()
        try:
            done = subprocess.run(
                argv,
                capture_output=True,
                text=True,
                env={**self.env, **(env or {})},
                cwd="/tmp",
                stdin=subprocess.DEVNULL,
            )
        except OSError as e:
            raise Broken(f"{what}: {e}") from None
        seconds = time.perf_counter() - t
        if done.returncode not in ok:
            tail = (done.stderr.strip() or done.stdout.strip()).splitlines()[-3:]
            raise Broken(f"{what}: exit {done.returncode}: {' | '.join(tail) or '(no output)'}")
        return seconds, done

    def snap(
        self, *args: str, ok: tuple[int, ...] = (0,), env: dict[str, str] | None = None
    ) -> tuple[float, subprocess.CompletedProcess[str]]:
        """snaplab, from the venv. The venv may be shared with someone running `make install`
        (a forced reinstall): a run that failed before doing anything because the package was
        half-installed is waited out and run again, and the failed attempt is no sample."""
        what = f"snaplab {' '.join(args)}"
        for attempt in range(3):
            self.wait_installed()
            try:
                return self.run([self.snaplab, *args], ok, what, env)
            except Broken as e:
                if attempt == 2 or not REINSTALLING.search(str(e)):
                    raise
                self.notes.append(f"{what}: retried, snaplab was being reinstalled ({e})")
                time.sleep(3)
        raise AssertionError("unreachable")

    def wait_installed(self, timeout: float = 60) -> None:
        if os.path.exists(self.snaplab):
            return
        deadline = time.monotonic() + timeout
        say(f"{self.snaplab} is missing (being reinstalled?): waiting up to {timeout:.0f} s")
        while not os.path.exists(self.snaplab) and time.monotonic() < deadline:
            time.sleep(0.5)
        self.notes.append(f"waited for {self.snaplab} to be reinstalled")

    # lab containers: made by `snaplab start`, removed by `snaplab finish` (its own ownership rule)
    def lab_start(self, backend: str, instance: str) -> None:
        if (backend, instance) not in self.labs:
            self.labs.append((backend, instance))
        self.snap("start", LAB, *self.lab_flags(backend, instance))

    def lab_finish(self, backend: str, instance: str) -> None:
        self.snap("finish", LAB, *self.lab_flags(backend, instance))
        if (backend, instance) in self.labs:
            self.labs.remove((backend, instance))

    @staticmethod
    def lab_flags(backend: str, instance: str) -> list[str]:
        return ["--backend", backend, "--instance", instance]

    # plain containers for the shell baseline: launched here, deleted here, by exact name
    def launch(self, backend: str, instance: str) -> None:
        self.plain.append((backend, instance))
        self.run([CLI[backend], "launch", IMAGE, instance], what=f"{CLI[backend]} launch")

    def delete(self, backend: str, instance: str) -> None:
        self.run([CLI[backend], "delete", "--force", instance], what=f"{CLI[backend]} delete")
        self.plain.remove((backend, instance))

    def cleanup(self) -> None:
        for argv in list(self.classes):
            try:
                self.snap(*argv, ok=(0, 8))
                self.classes.remove(argv)
            except Broken as e:
                self.problems.append(f"cleanup: {e}")
        for backend, instance in list(self.labs):
            try:
                self.lab_finish(backend, instance)
            except Broken as e:
                self.problems.append(f"cleanup: {e}")
        for backend, instance in list(self.plain):
            try:
                self.delete(backend, instance)
            except Broken as e:
                self.problems.append(f"cleanup: {e}")


def stats(samples: list[float]) -> dict[str, Any]:
    return {
        "n": len(samples),
        "median": round(statistics.median(samples), 4),
        "min": round(min(samples), 4),
        "max": round(max(samples), 4),
        "samples": [round(s, 4) for s in samples],
    }


def fmt(s: dict[str, Any] | None) -> str:
    if not s:
        return "-"
    return f"{s['median']:.3f} [{s['min']:.3f}–{s['max']:.3f}]"


def ratio(a: dict[str, Any], b: dict[str, Any]) -> float:
    return round(a["median"] / b["median"], 2) if b["median"] else float("inf")


def reply(done: subprocess.CompletedProcess[str], what: str) -> Any:
    """The JSON a `--json` run printed; anything else is Broken."""
    try:
        return json.loads(done.stdout)
    except ValueError:
        said = (done.stdout.strip() or done.stderr.strip() or "nothing")[:200]
        raise Broken(f"{what}: exit {done.returncode}, no JSON: {said}") from None


def installed(snaplab: str) -> str:
    """What `snaplab --version` says: the venv may hold another build than the checkout."""
    try:
        done = subprocess.run([snaplab, "--version"], capture_output=True, text=True)
    except OSError as e:
        return f"? ({e})"
    return done.stdout.strip() or "?"


def revision() -> str:
    """The checkout's commit, and whether it had uncommitted changes."""
    try:
        head = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        return "?"
    return f"{head or '?'}{' (uncommitted changes)' if dirty else ''}"


def goal(what: str, value: float, limit: float, extra: str = "") -> dict[str, Any]:
    """A target, and whether the median met it: by how much it missed, or what was to spare."""
    met = value <= limit if "<=" in what else value < limit
    by = f"by {abs(value - limit):.3f} s{f', {extra}' if extra else ''}"
    return {"what": what, "met": met, "by": by}


def say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# 1. check vs verify.sh -------------------------------------------------------------------


def bench_check(b: Bench, backend: str) -> dict[str, Any]:
    instance = b.name("chk", backend)
    flags = b.lab_flags(backend, instance)
    say(f"{backend}: check — start and solve the lab {instance}")
    b.lab_start(backend, instance)
    b.snap("solve", LAB, *flags)
    answers = []
    for env in (None, IN_PROCESS):  # warm-up, and proof the lab is solved both ways
        _, first = b.snap("check", LAB, *flags, "--json", env=env)
        answers.append(reply(first, "snaplab check --json"))
        if not answers[-1].get("complete"):
            raise Broken(f"{backend}: the solved lab does not grade complete: {first.stdout[:300]}")
    if answers[0] != answers[1]:
        raise Broken(f"{backend}: check via the recorder and in-process disagree: {answers}")
    verify = [str(BENCH / "verify.sh"), backend, instance, SNAPSHOT]
    verify5 = [str(BENCH / "verify5.sh"), backend, instance]
    b.run(verify, what="verify.sh")  # warm-up, and proof it agrees
    b.run(verify5, what="verify5.sh")
    version, checks, in_process, shells, shells5 = [], [], [], [], []
    for i in range(b.repeat):
        say(f"{backend}: check {i + 1}/{b.repeat}")
        version.append(b.snap("--version")[0])
        checks.append(b.snap("check", LAB, *flags)[0])
        in_process.append(b.snap("check", LAB, *flags, env=IN_PROCESS)[0])
        shells5.append(b.run(verify5, what="verify5.sh")[0])
        shells.append(b.run(verify, what="verify.sh")[0])
    b.lab_finish(backend, instance)
    check, local, shell, shell5 = stats(checks), stats(in_process), stats(shells), stats(shells5)
    r, r5, r_local = ratio(check, shell), ratio(check, shell5), ratio(local, shell5)
    targets = [
        goal("check <= verify5.sh", check["median"], shell5["median"], f"{r5:.2f}×"),
        goal("check <= verify.sh", check["median"], shell["median"], f"{r:.2f}×"),
    ]
    if backend == "lxd":
        targets.append(goal(f"check < {CHECK_TARGET_S} s", check["median"], CHECK_TARGET_S))
    return {
        "check": check,
        "check_in_process": local,
        "verify5_sh": shell5,
        "verify_sh": shell,
        "snaplab_version": stats(version),
        "ratio_check_over_verify5": r5,
        "ratio_in_process_over_verify5": r_local,
        "ratio_check_over_shell": r,
        "watch": guarded(b, f"watch/{backend}", lambda: bench_watch(b, backend)),
        "targets": targets,
        "target_met": all(t["met"] for t in targets),
    }


# the chapter as bench/chapter.sh types it: (command, stdin), {i} the instance, {s} the snapshot;
# the last command is the refused delete of the running, protected container (`delete-refused`)
CHAPTER = {
    "lxd": [
        ("lxc snapshot {i} {s}", None),
        ("lxc info {i}", None),
        ("lxc exec {i} bash", "touch this_file.txt\nexit\n"),
        ("lxc stop {i}", None),
        ("lxc restore {i} {s}", None),
        ("lxc start {i}", None),
        ("lxc exec {i} bash", "ls this_file.txt\nexit\n"),
        ("lxc delete {i}/{s}", None),
        ("lxc delete {i}", None),
    ],
    "incus": [
        ("incus snapshot create {i} {s}", None),
        ("incus info {i}", None),
        ("incus shell {i}", "touch this_file.txt\nexit\n"),
        ("incus stop {i}", None),
        ("incus snapshot restore {i} {s}", None),
        ("incus start {i}", None),
        ("incus shell {i}", "ls this_file.txt\nexit\n"),
        ("incus snapshot delete {i} {s}", None),
        ("incus delete {i}", None),
    ],
}


def may_fail(command: str, stdin: str | None) -> bool:
    """The look for the file the restore took away, and the delete the chapter shows refused."""
    return "ls this_file" in (stdin or "") or command.endswith(" delete {i}")


WATCH_PAUSE_S = 3.0  # the longest a typed command waits for watch's line before the next


def daemon_time(value: str) -> float:
    """An RFC 3339 time with nanoseconds (the daemon's) as a Unix time."""
    head, _, rest = value.partition(".")
    digits = "".join(itertools.takewhile(str.isdigit, rest))
    tz = rest[len(digits) :] or "+00:00"
    tz = "+00:00" if tz == "Z" else tz
    stamp = f"{head}.{(digits or '0')[:6].ljust(6, '0')}{tz}" if rest else f"{head}{tz}"
    return datetime.fromisoformat(stamp).timestamp()


def bench_watch(b: Bench, backend: str) -> dict[str, Any]:
    """`snaplab watch --json` (no TTY: a JSON line per change) while the chapter is typed a
    command at a time, each once watch has said what the previous one did: for each step
    that turns PASS, from the daemon's timestamp of the event behind the grade (the first
    of them, when several came together) to the moment watch's line arrived here. Same
    host, same clock; the pipe's own delay is included."""
    instance = b.name("wat", backend)
    b.lab_start(backend, instance)
    watch = subprocess.Popen(
        [b.snaplab, "watch", LAB, *b.lab_flags(backend, instance), "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=b.env,
        cwd="/tmp",
    )
    lines: queue.Queue[tuple[float, str]] = queue.Queue()

    def read() -> None:
        assert watch.stdout is not None
        for line in watch.stdout:
            lines.put((time.time(), line))

    threading.Thread(target=read, daemon=True).start()
    latencies: dict[str, float] = {}
    try:

        def passes(wait: float) -> None:
            """Until a step passes (and the rest of that grade's lines), or `wait` is over."""
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline:
                try:
                    arrived, line = lines.get(timeout=0.05)
                except queue.Empty:
                    continue
                try:
                    said = json.loads(line)
                except ValueError:
                    continue  # the final grade, pretty-printed: not a change
                if not isinstance(said, dict) or said.get("status") != "pass":
                    continue
                if said.get("event_t"):
                    latencies[said["step"]] = arrived - daemon_time(said["event_t"])
                deadline = min(deadline, time.monotonic() + 0.3)  # its siblings come at once

        passes(10)  # the first grade: nothing passes yet, so this is just the wait for it
        for command, stdin in CHAPTER[backend]:
            argv = command.format(i=instance, s=SNAPSHOT).split()
            done = subprocess.run(argv, input=stdin, capture_output=True, text=True, cwd="/tmp")
            if done.returncode != 0 and not may_fail(command, stdin):
                raise Broken(f"{command}: {done.stderr.strip()}")
            passes(WATCH_PAUSE_S)
        passes(WATCH_PAUSE_S)  # two steps pass on the last command
        try:
            rc = watch.wait(timeout=30)
        except subprocess.TimeoutExpired:  # a grade short of full marks: say which steps passed
            raise Broken(
                f"snaplab watch did not finish; steps seen passing: {sorted(latencies)}"
            ) from None
        if rc != 0:
            assert watch.stderr is not None
            raise Broken(f"snaplab watch: exit {rc}: {watch.stderr.read()[-300:]}")
    finally:
        if watch.poll() is None:
            watch.kill()
            watch.wait()
        b.lab_finish(backend, instance)
    if not latencies:
        raise Broken("snaplab watch: no step turned PASS with an event time")
    return {"latency": stats(list(latencies.values())), "steps": latencies}


# 2. solve vs chapter.sh ------------------------------------------------------------------


def bench_solve(b: Bench, backend: str) -> dict[str, Any]:
    instance = b.name("sol", backend)
    flags = b.lab_flags(backend, instance)
    solves, shells = [], []
    for i in range(b.repeat):
        say(f"{backend}: solve {i + 1}/{b.repeat}")
        b.lab_finish(backend, instance)  # a fresh lab each time (not timed)
        b.lab_start(backend, instance)
        solves.append(b.snap("solve", LAB, *flags)[0])
        plain = b.name("ch", backend, str(i))
        b.launch(backend, plain)  # not timed
        shells.append(
            b.run([str(BENCH / "chapter.sh"), backend, plain, SNAPSHOT], what="chapter.sh")[0]
        )
        b.delete(backend, plain)
    b.lab_finish(backend, instance)
    solve, shell = stats(solves), stats(shells)
    r = ratio(solve, shell)
    limit = SOLVE_TARGET_RATIO * shell["median"]
    targets = [
        goal(f"solve <= {SOLVE_TARGET_RATIO}× chapter.sh", solve["median"], limit, f"{r:.2f}×")
    ]
    return {
        "solve": solve,
        "chapter_sh": shell,
        "ratio_solve_over_shell": r,
        "targets": targets,
        "target_met": all(t["met"] for t in targets),
    }


# 3. doctor -------------------------------------------------------------------------------


def bench_doctor(b: Bench, backend: str) -> dict[str, Any]:
    walls, own = [], []
    probe: dict[str, list[float]] = {"snapshot": [], "restore": [], "downtime": []}
    statuses: dict[str, str] = {}
    for i in range(b.doctor_repeat):
        say(f"{backend}: doctor {i + 1}/{b.doctor_repeat}")
        # exit 1 is "not fit": read the report first, then say what is wrong
        wall, done = b.snap("doctor", "--backend", backend, "--json", ok=(0, 1))
        report = reply(done, "snaplab doctor --json")["reports"][0]
        statuses = {c["id"]: c["status"] for c in report["checks"]}
        if done.returncode != 0:
            bad = [
                f"{c['id']}: {c['detail']}"
                for c in report["checks"]
                if c["status"] in ("FAIL", "SKIP")
            ]
            raise Broken(f"{backend}: doctor says the host is not fit: {'; '.join(bad)}")
        walls.append(wall)
        own.append(report["seconds"])
        for op, samples in probe.items():
            samples.append(report["timings"]["lab"][op])
    return {
        "wall": stats(walls),
        "doctor_seconds": stats(own),
        **{f"probe_{op}": stats(samples) for op, samples in probe.items()},
        "statuses": statuses,
    }


# 4. host setup, warm ---------------------------------------------------------------------


def bench_host(b: Bench) -> dict[str, Any]:
    if os.geteuid() != 0:
        return {"skipped": "not root: host setup needs root"}
    _, dry = b.snap("host", "setup", "--dry-run", "--json")
    plan = reply(dry, "snaplab host setup --dry-run --json")
    if plan["changed"]:
        todo = [s["title"] for s in plan["steps"] if s["changed"]]
        # a warm run would change the (shared) host: that is not for a bench to do
        return {"skipped": f"the host is not fully set up ({'; '.join(todo)}): not warm"}
    walls, own, changed = [], [], []
    for i in range(b.doctor_repeat):
        say(f"host setup (warm) {i + 1}/{b.doctor_repeat}")
        wall, done = b.snap("host", "setup", "--json")
        result = reply(done, "snaplab host setup --json")
        walls.append(wall)
        own.append(result["seconds"])
        changed.append(result["changed"])
    if any(changed):
        b.problems.append("host setup: a warm run reported a change (expected none)")
    return {
        "warm_wall": stats(walls),
        "warm_setup_seconds": stats(own),
        "changed": changed,
        "cold": "not measured by bench",
    }


# output ----------------------------------------------------------------------------------


def table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join("  " + line for line in lines)


def targets(section: dict[str, dict[str, Any]]) -> list[str]:
    """One line per backend under a table: each target, met or missed and by how much."""
    out = []
    for be, s in section.items():
        if "error" in s:
            out.append(f"  {be:6} BROKEN: {s['error']}")
            continue
        said = [f"{t['what']} {'met' if t['met'] else 'MISSED'} ({t['by']})" for t in s["targets"]]
        out.append(f"  {be}: target " + "; ".join(said))
    return out


def watch_lines(section: dict[str, dict[str, Any]]) -> list[str]:
    """`snaplab watch` latency, per backend: event timestamp to the line watch printed."""
    out = []
    for be, s in section.items():
        w = s.get("watch") or {}
        if "latency" in w:
            out.append(
                f"  {be}: watch latency, daemon event to watch's line, over "
                f"{w['latency']['n']} steps: {fmt(w['latency'])} s; target < 1 s each "
                f"{'met' if w['latency']['max'] < 1.0 else 'MISSED'} (worst {w['latency']['max']:.3f} s)"
            )
        elif w:
            out.append(f"  {be}: watch latency not measured: {w.get('skipped') or w.get('error')}")
    return out


def render(report: dict[str, Any]) -> str:
    meta, res = report["meta"], report["results"]
    out = [
        f"snaplab bench · {meta['date']} · {meta['host']} · N={meta['repeat']} "
        f"(doctor/host N={meta['doctor_repeat']})",
        f"{meta['snaplab_version']} from {meta['snaplab']}; checkout {meta['git']}",
        "wall seconds of whole subprocesses (Python start-up included): median [min–max];",
        "ratio = median / median of the baseline measured alongside, in this run",
        "",
    ]
    if res.get("check"):
        out += [
            "1. `snaplab check snapshots` on a solved lab: answered by the session's recorder",
            "   (the default) and graded in-process (SNAPLAB_NO_RECORDER_CHECK=1), vs",
            "   bench/verify5.sh: five plain CLI calls (list, info, query snapshots, exec test,",
            "   config show), and bench/verify.sh: check's live reads (instance running and",
            "   protected, created_at, snapshot list, `test -e`) with the plain CLI. Neither",
            "   script can replay the evidence journal, so both prove less than check does.",
            "   `snaplab --version` is the start-up floor: interpreter and imports, no daemon.",
        ]
        rows = [
            [
                "backend",
                "check (recorder)",
                "check (in-process)",
                "verify5.sh",
                "verify.sh",
                "recorder/v5",
                "in-process/v5",
                "recorder/v",
                "snaplab --version",
            ]
        ]
        for be, s in res["check"].items():
            if "error" not in s:
                rows.append(
                    [
                        be,
                        fmt(s["check"]),
                        fmt(s["check_in_process"]),
                        fmt(s["verify5_sh"]),
                        fmt(s["verify_sh"]),
                        f"{s['ratio_check_over_verify5']:.2f}×",
                        f"{s['ratio_in_process_over_verify5']:.2f}×",
                        f"{s['ratio_check_over_shell']:.2f}×",
                        fmt(s["snaplab_version"]),
                    ]
                )
        out += [table(rows), *targets(res["check"]), *watch_lines(res["check"]), ""]
    if res.get("solve"):
        out += [
            "2. `snaplab solve snapshots` (fresh lab each time) vs bench/chapter.sh (fresh plain",
            "   container each time; launch/start/finish/delete not timed)",
        ]
        rows = [["backend", "solve", "chapter.sh", "ratio"]]
        for be, s in res["solve"].items():
            if "error" not in s:
                rows.append(
                    [
                        be,
                        fmt(s["solve"]),
                        fmt(s["chapter_sh"]),
                        f"{s['ratio_solve_over_shell']:.2f}×",
                    ]
                )
        out += [table(rows), *targets(res["solve"]), ""]
    if res.get("doctor"):
        out += [
            "3. `snaplab doctor --backend B --json`; the lab probe's times from its JSON",
            "   (downtime = stop + restore + start)",
        ]
        rows = [["backend", "wall", "doctor's own", "probe snapshot", "restore", "downtime"]]
        for be, s in res["doctor"].items():
            if "error" in s:
                rows.append([be, f"BROKEN: {s['error']}", "", "", "", ""])
                continue
            rows.append(
                [
                    be,
                    fmt(s["wall"]),
                    fmt(s["doctor_seconds"]),
                    fmt(s["probe_snapshot"]),
                    fmt(s["probe_restore"]),
                    fmt(s["probe_downtime"]),
                ]
            )
        out += [table(rows), ""]
    if res.get("host"):
        s = res["host"]
        out += ["4. `snaplab host setup --json` (all backends)"]
        if "error" in s:
            out.append(f"  BROKEN: {s['error']}")
        elif "skipped" in s:
            out.append(f"  warm: skipped: {s['skipped']}")
        else:
            rows = [["run", "wall", "setup's own", "changed"]]
            rows.append(
                [
                    "warm",
                    fmt(s["warm_wall"]),
                    fmt(s["warm_setup_seconds"]),
                    "yes" if any(s["changed"]) else "no",
                ]
            )
            out.append(table(rows))
        out += ["  cold: not measured by bench", ""]
    if res.get("class"):
        out += classes.render(res["class"], fmt, table, targets)
    if res.get("storage"):
        out += storage.render(res["storage"], fmt, table)
    if res.get("dashboard"):
        out += dashboard.render(res["dashboard"], fmt, table)
    out.append(f"bench took {meta['seconds']:.0f} s; figures in {meta['json']}")
    if report["notes"]:
        out.append("notes:")
        out += [f"  - {n}" for n in report["notes"]]
    if report["problems"]:
        out.append("PROBLEMS (exit 1):")
        out += [f"  - {p}" for p in report["problems"]]
    return "\n".join(out)


# main ------------------------------------------------------------------------------------


def guarded(b: Bench, what: str, fn: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """A broken section is reported and the bench goes on with the next."""
    try:
        return fn()
    except (Broken, KeyError, StopIteration) as e:  # or a reply not shaped as expected
        b.problems.append(f"{what}: {e if isinstance(e, Broken) else repr(e)}")
        say(f"{what}: BROKEN: {e}")
        return {"error": str(e)}


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--repeat",
        type=int,
        default=int(os.environ.get("BENCH_N", "5")),
        help="N for check and solve (default: $BENCH_N or 5)",
    )
    p.add_argument(
        "--doctor-repeat",
        type=int,
        default=int(os.environ.get("BENCH_DOCTOR_N", "3")),
        help="N for doctor and host setup (default: $BENCH_DOCTOR_N or 3)",
    )
    p.add_argument("--backends", default="lxd,incus", help="comma-separated (default: lxd,incus)")
    p.add_argument(
        "--only",
        default=",".join(SECTIONS),
        help=f"sections, comma-separated (default: {','.join(SECTIONS)})",
    )
    p.add_argument("--json", type=Path, default=OUT, help=f"where the figures go (default: {OUT})")
    p.add_argument(
        "--publish",
        action="store_true",
        help="also write the storage figures and charts to guides/captured/ (then commit them)",
    )
    p.add_argument(
        "--snaplab",
        default=os.environ.get("SNAPLAB")
        or shutil.which("snaplab", path=str(Path(sys.executable).parent))
        or "snaplab",
        help="the snaplab CLI (default: next to this Python)",
    )
    p.add_argument(
        "--class-sizes",
        default=os.environ.get("BENCH_CLASS_SIZES", ",".join(map(str, classes.SIZES))),
        help="class section: learners in each class (default: $BENCH_CLASS_SIZES or "
        f"{','.join(map(str, classes.SIZES))})",
    )
    args = p.parse_args(argv)
    try:
        sizes = sorted({int(x) for x in args.class_sizes.split(",") if x})
    except ValueError:
        p.error(f"--class-sizes takes numbers: {args.class_sizes}")
    if not sizes or min(sizes) < 1:
        p.error("--class-sizes: at least one class of at least one learner")
    backends = [x for x in args.backends.split(",") if x]
    only = [x for x in args.only.split(",") if x]
    for x in backends:
        if x not in CLI:
            p.error(f"unknown backend {x}")
    for x in only:
        if x not in SECTIONS:
            p.error(f"unknown section {x}")
    if args.repeat < 1 or args.doctor_repeat < 1:
        p.error("repetitions must be at least 1")

    signal.signal(signal.SIGTERM, _interrupt)
    began = time.monotonic()
    state = Path(tempfile.mkdtemp(prefix="snaplab-bench-"))
    b = Bench(args.snaplab, args.repeat, args.doctor_repeat, state)
    results: dict[str, Any] = {}
    say(f"run {b.run_id}: backends {','.join(backends)}, sections {','.join(only)}, N={b.repeat}")
    try:
        if "check" in only:
            results["check"] = {
                be: guarded(b, f"check/{be}", lambda be=be: bench_check(b, be)) for be in backends
            }
        if "solve" in only:
            results["solve"] = {
                be: guarded(b, f"solve/{be}", lambda be=be: bench_solve(b, be)) for be in backends
            }
        if "doctor" in only:
            results["doctor"] = {
                be: guarded(b, f"doctor/{be}", lambda be=be: bench_doctor(b, be)) for be in backends
            }
        if "host" in only:
            results["host"] = guarded(b, "host", lambda: bench_host(b))
        if "class" in only:
            results["class"] = {
                be: guarded(
                    b,
                    f"class/{be}",
                    lambda be=be: classes.measure(b, be, sizes, stats, say, goal, Broken),
                )
                for be in backends
                if be in classes.BACKENDS
            }
        if "storage" in only:
            results["storage"] = {
                be: guarded(
                    b, f"storage/{be}", lambda be=be: storage.measure(b, be, stats, say, Broken)
                )
                for be in backends
            }
        if "dashboard" in only:
            be = backends[0]
            results["dashboard"] = {
                be: guarded(
                    b,
                    f"dashboard/{be}",
                    lambda: dashboard.measure(
                        b, be, stats, say, Broken, CHAPTER[be], daemon_time, may_fail
                    ),
                )
            }
    except KeyboardInterrupt:
        b.problems.append("interrupted")
        say("interrupted: cleaning up")
    finally:
        b.cleanup()
        if b.labs:  # their journals and recorders are needed to finish them by hand
            b.problems.append(
                f"left behind: {', '.join(i for _, i in b.labs)}; remove with "
                f"XDG_STATE_HOME={state} snaplab finish {LAB} --backend B --instance NAME"
            )
        else:
            shutil.rmtree(state, ignore_errors=True)
        b.problems += [
            f"left behind: {be} container {i} ({CLI[be]} delete --force {i})" for be, i in b.plain
        ]

    if results.get("storage"):
        for into in (args.json.parent, *([CAPTURED] if args.publish else [])):
            for path in storage.write(results["storage"], b.doctor_repeat, into):
                b.notes.append(f"wrote {path}")
    report = {
        "meta": {
            "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "host": f"{platform.node()} ({os.cpu_count()} cpu)",
            "repeat": b.repeat,
            "doctor_repeat": b.doctor_repeat,
            "backends": backends,
            "run_id": b.run_id,
            "snaplab": b.snaplab,
            "snaplab_version": installed(b.snaplab),
            "git": revision(),
            "seconds": round(time.monotonic() - began, 1),
            "json": str(args.json),
        },
        "results": results,
        "notes": b.notes,
        "problems": b.problems,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(render(report))
    return 1 if b.problems else 0


if __name__ == "__main__":
    sys.exit(main())
