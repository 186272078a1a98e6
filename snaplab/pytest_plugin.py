"""snaplab's pytest plugin, active in any pytest run once snaplab is installed.

Registered through the `pytest11` entry point. It stays out of the way of a run
that collects no lab checks: it adds options and the `step` marker, and imports
nothing heavy until a lab check asks for a fixture. Then `pytest
checks/test_snapshots.py` grades the current learner exactly as `snaplab check`
does: the same evidence (`runner.gather`), and a failed step reports the lab's
own message and hint, not an assert dump. It also registers the `lxd://` and `incus://`
testinfra hosts (snaplab/infra), and hands `checks/test_host.py` (doctor's host checks)
its `verdict` fixture, so that module runs with plain pytest on any testinfra host.
"""

from __future__ import annotations

from typing import Any

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("snaplab", "snaplab lab checks")
    group.addoption("--lab-backend", help="lxd or incus (default: the session `start` began)")
    group.addoption("--lab-instance", help="the lab container (default: the session's)")
    group.addoption("--lab-project", help="the project of the lab container")
    group.addoption("--lab-remote", help="a stored HTTPS remote, as added by `snaplab remote add`")
    group.addoption("--lab-lang", help="ko or en: the language of the lab's messages")


def pytest_configure(config: pytest.Config) -> None:
    from snaplab.infra import register

    config.addinivalue_line("markers", "step(id): the lab step this check grades")
    config.addinivalue_line("markers", "host_check(id): the doctor check this test runs")
    register()  # --hosts=lxd://NAME and incus://NAME, in anyone's testinfra suite


class Graded:
    """One lab's evidence for a plain pytest run, gathered once per module."""

    def __init__(self, config: pytest.Config, module_file: str) -> None:
        from snaplab import remotes
        from snaplab.lab import journal, model, runner

        lab = next(
            (lab for lab in map(model.load, model.lab_ids()) if lab.checks.name == module_file),
            None,
        )
        if lab is None:
            raise pytest.UsageError(f"{module_file} is not the check module of any snaplab lab")
        opt = config.getoption
        remote = remotes.find(opt("--lab-remote")) if opt("--lab-remote") else None
        session = journal.session_for(
            lab,
            opt("--lab-backend") or (remote.backend if remote else None),
            opt("--lab-instance"),
            opt("--lab-project") or (remote.project if remote else None),
            remote.url if remote else None,
        )
        self.lab = lab
        self.evidence, self.base, self.commands = runner.gather(lab, session)


def _graded(request: pytest.FixtureRequest) -> Graded:
    from snaplab.errors import SnaplabError

    cache = request.config.stash.setdefault(_GRADED, {})
    name = request.path.name
    if name not in cache:
        try:
            cache[name] = Graded(request.config, name)
        except SnaplabError as e:  # the daemon down, no session: one line, as `check` says it
            cache[name] = e
    found = cache[name]
    if isinstance(found, Exception):
        pytest.fail(str(found), pytrace=False)
    return found


_GRADED = pytest.StashKey[dict]()


@pytest.fixture
def facts(request: pytest.FixtureRequest) -> Any:
    return _graded(request).evidence.facts


@pytest.fixture
def live(request: pytest.FixtureRequest) -> Any:
    return _graded(request).evidence.live


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Host checks need a daemon kind: say so once, before any host is asked."""
    if any(item.get_closest_marker("host_check") for item in items):
        from snaplab.doctor.hostchecks import require_backend

        require_backend(config)


@pytest.fixture(scope="module")
def host_context(request: pytest.FixtureRequest, host: Any) -> Any:
    """One context per host: the daemon is asked each question once per host."""
    from snaplab.doctor.hostchecks import context_for

    return context_for(request.config, host)


@pytest.fixture
def verdict(request: pytest.FixtureRequest, host_context: Any) -> Any:
    """Runs a doctor check on the host: FAIL fails with its fix, SKIP skips, WARN warns."""
    from snaplab.doctor.hostchecks import Verdict

    return Verdict(request.node, host_context)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Any:
    """A failed step says what the lab says: its fail message and its hint."""
    outcome = yield
    report = outcome.get_result()
    if report.failed and item.get_closest_marker("host_check"):
        _host_check_report(item, report)
        return
    marker = item.get_closest_marker("step")
    found = item.config.stash.get(_GRADED, {}).get(item.path.name)
    if marker is None or not report.failed or not isinstance(found, Graded):
        return
    from snaplab.i18n import HINT, detect
    from snaplab.lab.grader import failure

    lang = detect(item.config.getoption("--lab-lang"))
    message, hint = failure(found.lab, marker.args[0], found.base, found.commands)
    report.longrepr = f"{message.get(lang)}\n{HINT.get(lang)}: {hint.get(lang)}"


def _host_check_report(item: pytest.Item, report: pytest.TestReport) -> None:
    """A failed host check says what is wrong and its one-line fix, nothing else (JUnit's
    message too, which would otherwise begin with 'Failed: ')."""
    from snaplab.doctor.hostchecks import FINDING, describe
    from snaplab.i18n import detect

    found = item.stash.get(FINDING, None)
    if found is not None:
        report.longrepr = describe(found, detect(item.config.getoption("--lab-lang")))
