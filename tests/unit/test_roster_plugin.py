"""`pytest checks/test_<lab>.py --lab-roster ROSTER`: each lab check once per learner, its id
naming them, each graded on their own evidence (a fake daemon: snaplab/classroom/evidence.py
is what it stands in for)."""

from __future__ import annotations

import pytest

from snaplab.classroom.roster import load
from snaplab.classroom.state import RECORDERS, class_dir
from tests.unit.fake_class import LAB, Daemon, learner, started, two_started, wire

STEPS = [s.id for s in LAB.steps]


class Reports:
    """What the inner pytest run collected, and each test's outcome by its id."""

    def __init__(self) -> None:
        self.ids: list[str] = []
        self.outcomes: dict[str, str] = {}
        self.said: dict[str, object] = {}  # each failed or skipped test's longrepr
        self.errors: list[str] = []  # a setup or teardown that failed

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.ids = [item.nodeid.split("::")[-1] for item in session.items]

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when != "call" and report.failed:
            self.errors.append(report.nodeid)
        if report.when == "call" or report.outcome != "passed":
            self.outcomes.setdefault(report.nodeid.split("::")[-1], report.outcome)
            self.said.setdefault(report.nodeid.split("::")[-1], report.longrepr)


def run(*args: str) -> tuple[int, Reports]:
    reports = Reports()
    argv = [str(LAB.checks), "-p", "no:cacheprovider", "-q", "-c", "/dev/null", *args]
    return int(pytest.main(argv, plugins=[reports])), reports


@pytest.fixture
def unset(tmp_path, monkeypatch):
    """A roster whose class was never set up here."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    path = tmp_path / "h1t.csv"
    path.write_text("id,name,target,project\nkim,Kim,local,h1t-kim\nlee,Lee,local,h1t-lee\n")
    return path


@pytest.fixture
def roster(unset):
    """A roster whose class is set up here, as `class setup` leaves it: its recorders noted."""
    (class_dir(load(unset)) / RECORDERS).write_text("[]")
    return unset


def test_each_check_is_parametrized_over_the_learners_each_in_step_order(roster):
    """Learner by learner, as testinfra groups by host: each learner's checks run as soon as
    that learner's evidence is read, while the rest of the class is still being read."""
    code, reports = run("--collect-only", "--lab-roster", str(roster))
    assert code == 0
    names = {s.id: f.__name__ for s, f in zip(LAB.steps, checks(), strict=True)}
    assert reports.ids == [f"{names[s]}[{who}]" for who in ("kim", "lee") for s in STEPS]
    assert "test_snapshot_taken[kim]" in reports.ids


def test_without_a_roster_nothing_is_parametrized(roster):
    code, reports = run("--collect-only")
    assert code == 0 and reports.ids and all("[" not in i for i in reports.ids)


def test_each_learner_is_graded_on_their_own_evidence(roster, monkeypatch):
    lxd = Daemon()
    kim, lee = learner("kim"), learner("lee")
    lxd.holds(kim, ("snap",))
    lxd.holds(lee)
    started(kim, ("snap",))
    started(lee)
    wire(monkeypatch, {"lxd": lxd})
    code, reports = run("--lab-roster", str(roster))
    assert code == 1  # some failed
    assert reports.outcomes["test_snapshot_taken[kim]"] == "passed"
    assert reports.outcomes["test_snapshot_taken[lee]"] == "failed"
    assert reports.outcomes["test_snapshot_listed[kim]"] == "failed"  # no `info` yet
    assert reports.outcomes["test_snapshot_listed[lee]"] == "skipped"  # its step 1 is not done
    listed = sorted(p for path, p, _ in lxd.asked if path == "/1.0/instances")
    assert listed == ["h1t-kim", "h1t-lee"]  # each learner's project, once


def test_a_failed_step_says_the_labs_words_and_a_later_one_is_skipped_at_its_check(
    roster, monkeypatch
):
    """Neither report carries pytest's traceback: the lab's words, and the check's line."""
    two_started(monkeypatch)
    _, reports = run("--lab-roster", str(roster))
    said = str(reports.said["test_snapshot_taken[lee]"])
    assert said.startswith("no snapshot of ubuntu-test was taken since the lab started\n")
    assert "hint: " in said and "assert" not in said and "Traceback" not in said
    path, line, why = reports.said["test_snapshot_listed[lee]"]  # type: ignore[misc]
    assert path.endswith("checks/test_snapshots.py") and line > 0
    assert why == "Skipped: snapshot-listed: an earlier step is not done"
    # the run's last check is skipped by pytest itself (a mark), which then tears the module
    # down; the others are reported so without running: both say the same, and nothing errs
    last = f"{checks()[-1].__name__}[lee]"
    last_path, last_line, last_why = reports.said[last]  # type: ignore[misc]
    assert (last_path, last_why) == (path, f"Skipped: {STEPS[-1]}: an earlier step is not done")
    assert last_line > line and reports.errors == []


def test_a_class_never_set_up_here_is_one_usage_line_naming_setup(unset, capsys):
    code, reports = run("--lab-roster", str(unset), "--lab-lang", "en")
    assert code == pytest.ExitCode.USAGE_ERROR and reports.ids == []
    said = [line for line in capsys.readouterr().err.splitlines() if line]
    assert said == [
        f"ERROR: class h1t is not set up here (or was torn down): run "
        f"`snaplab class setup {unset}` first"
    ]
    code, reports = run("--collect-only", "--lab-roster", str(unset))  # reads nothing
    assert code == 0 and "test_snapshot_taken[kim]" in reports.ids


def test_a_bad_roster_is_one_usage_line(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("x")
    code, _ = run("--collect-only", "--lab-roster", str(bad))
    assert code == pytest.ExitCode.USAGE_ERROR


def checks() -> list:
    """The check functions in lab step order, as the module names them."""
    from tests.unit.graded import check_module

    module = check_module(LAB)
    marked = [
        f
        for f in vars(module).values()
        if callable(f) and any(m.name == "step" for m in getattr(f, "pytestmark", []))
    ]
    by_step = {next(m.args[0] for m in f.pytestmark if m.name == "step"): f for f in marked}
    return [by_step[s] for s in STEPS]
