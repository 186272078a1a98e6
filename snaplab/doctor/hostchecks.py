"""The doctor's host checks as a testinfra module (checks/test_host.py), and doctor's run of it.

One test per check, marked `host_check(id)`. Each test hands its check to `Verdict`, which
turns the check's (status, detail, fix) into pytest's words: FAIL fails with the detail and
its one-line fix (no assert dump), SKIP skips, WARN passes with a warning. So an operator
runs the same checks with plain pytest against any number of hosts (`--hosts=ssh://...`,
`-n` for pytest-xdist), and `snaplab doctor` runs the module in-process against this
machine and reads each test's finding back, keeping its report, JSON and exit codes.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest

from snaplab.doctor.checks import CHECKS, Check, run_all
from snaplab.doctor.context import NONE, Context, Outcome, Skip
from snaplab.doctor.results import Finding, Status
from snaplab.errors import SnaplabError
from snaplab.i18n import Text, as_text, both, detect, same
from snaplab.remotes import CertificateMismatch

FINDING = pytest.StashKey[Finding]()  # what a host check found, on its test item
DOCTOR = pytest.StashKey[Context]()  # doctor's own context, when doctor runs the module
MODULE = "test_host.py"
# doctor's own work, after the module: the probe launches a container, and the snapshot
# server is a second daemon on this machine (ssh hosts are asked about their own daemon)
OWN = ("probe", "snapshot-server")
FIX = Text("fix", "해결")  # the label before a failed check's fix, as doctor prints it


class HostWarning(UserWarning):
    """A check that passed with a warning (a dir pool): fit, but worth reading."""


def by_id(check_id: str) -> Check:
    return next(c for c in CHECKS if c.id == check_id)


def context_for(config: pytest.Config, host: Any) -> Context:
    """doctor's context when doctor runs the module; else one built from the options."""
    ctx = config.stash.get(DOCTOR, None)
    if ctx is not None:
        ctx.host = host
        return ctx
    from snaplab import remotes
    from snaplab.backends import get_backend
    from snaplab.transports import Target

    opt = config.getoption
    remote = remotes.find(opt("--lab-remote")) if opt("--lab-remote") else None
    name = require_backend(config)
    project = opt("--lab-project") or (remote.project if remote else "default")
    target = Target(name, remote.url if remote else None, project)
    return Context(get_backend(name), target, host=host)


def require_backend(config: pytest.Config) -> str:
    """--lab-backend, or the stored remote's: which daemon the host checks ask."""
    opt = config.getoption
    if config.stash.get(DOCTOR, None) is not None:
        return config.stash[DOCTOR].backend.name
    if opt("--lab-backend"):
        return str(opt("--lab-backend"))
    if opt("--lab-remote"):
        from snaplab import remotes

        return remotes.find(opt("--lab-remote")).backend
    raise pytest.UsageError(
        both(
            "checks/test_host.py needs --lab-backend lxd or --lab-backend incus",
            "checks/test_host.py에는 --lab-backend lxd 또는 --lab-backend incus가 필요합니다",
        ).get(detect(opt("--lab-lang")))
    )


def describe(found: Finding, lang: str) -> str:
    """What a host check's test reports: the detail and, unless it passed, the fix."""
    message = found.detail.get(lang)
    if found.fix and found.status is not Status.PASS:
        message += f"\n{FIX.get(lang)}: {found.fix.get(lang)}"
    return message


class Verdict:
    """Runs one check on the host and says its outcome the way pytest can report it."""

    def __init__(self, item: pytest.Item, ctx: Context) -> None:
        self.item = item
        self.ctx = ctx
        marker = item.get_closest_marker("host_check")
        if marker is None:
            raise pytest.UsageError(
                both(
                    f"{item.nodeid} uses verdict but has no host_check(id) marker",
                    f"{item.nodeid}은(는) verdict를 쓰지만 host_check(id) 표시가 없습니다",
                ).get(detect(item.config.getoption("--lab-lang", None)))
            )
        self.check = by_id(marker.args[0])

    def __call__(self, run: Any) -> bool:
        """True when the host passes (a WARN passes, with a warning); a FAIL fails the test
        with its fix and a SKIP skips it, so `assert verdict(check)` reads as the rule."""
        try:
            status, detail, fix = run(self.ctx)
        except Skip as e:
            status, detail, fix = Status.SKIP, e.why, NONE
        except CertificateMismatch:
            raise  # not a finding: nothing may be asked of an impostor
        except SnaplabError as e:  # the daemon stopped answering between two questions
            status, detail, fix = Status.FAIL, as_text(e.message), NONE
        self.record((status, detail, fix))
        return True

    def record(self, outcome: Outcome) -> None:
        status, detail, fix = outcome
        found = Finding(self.check.id, self.check.title, status, detail, fix)
        self.item.stash[FINDING] = found
        # plain strings: they cross pytest-xdist's workers and land in --junitxml
        self.item.user_properties.extend(
            [("status", status.value), ("detail", found.detail.en), ("fix", found.fix.en)]
        )
        message = describe(found, detect(self.item.config.getoption("--lab-lang", None)))
        if status is Status.FAIL:
            pytest.fail(message, pytrace=False)
        if status is Status.SKIP:
            pytest.skip(message)
        if status is Status.WARN:
            warnings.warn(HostWarning(message), stacklevel=3)  # at the test


class Collector:
    """doctor's plugin for its in-process run: this machine as `host`, its findings back."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.findings: dict[str, Finding] = {}
        self.fatal: BaseException | None = None
        self.interrupted = False

    def pytest_keyboard_interrupt(self) -> None:
        self.interrupted = True  # pytest swallows Ctrl-C; doctor must not carry on

    def pytest_configure(self, config: pytest.Config) -> None:
        config.stash[DOCTOR] = self.ctx

    @pytest.fixture(scope="module")
    def host(self) -> Any:
        return self.ctx.host

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo) -> Any:
        outcome = yield
        report = outcome.get_result()
        marker = item.get_closest_marker("host_check")
        if marker is None or (report.when != "call" and not report.failed):
            return
        if call.excinfo is not None and isinstance(call.excinfo.value, CertificateMismatch):
            self.fatal = call.excinfo.value
        found = item.stash.get(FINDING, None)
        if found is None and report.failed:  # the check itself broke: say how, in one line
            why = call.excinfo.exconly() if call.excinfo else report.longreprtext
            check = by_id(marker.args[0])
            line = (why.strip().splitlines() or ["?"])[0]
            found = Finding(check.id, check.title, Status.FAIL, same(line), NONE)
        if found is not None:
            self.findings.setdefault(found.id, found)


def module_path() -> str:
    from snaplab.paths import data_dir

    return str(data_dir("checks") / MODULE)


def run(ctx: Context) -> list[Finding]:
    """Every check in doctor's order: those in the module through pytest, the rest (the
    probe, which launches a container) by doctor itself, after them."""
    from snaplab import inprocess

    collector = Collector(ctx)
    code = inprocess.run(Path(module_path()), collector)
    if collector.interrupted:
        raise KeyboardInterrupt
    if collector.fatal is not None:
        raise collector.fatal
    findings = []
    for check in CHECKS:
        if check.applies is not None and not check.applies(ctx):
            continue
        found = collector.findings.get(check.id)
        if check.id in OWN:
            found = run_all(ctx, [check])[0]
        elif found is None:  # the module did not load, or lost a test
            found = Finding(check.id, check.title, Status.FAIL, did_not_run(code), NONE)
        findings.append(found)
    return findings


def did_not_run(code: int) -> Text:
    return both(
        f"the host check did not run (pytest exit code {code})",
        f"호스트 검사가 실행되지 않았습니다(pytest 종료 코드 {code})",
    )
