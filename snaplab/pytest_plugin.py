"""snaplab's pytest plugin, active in any pytest run once snaplab is installed.

Registered through the `pytest11` entry point. It stays out of the way of a run
that collects no lab checks: it adds options and the `step` marker, and imports
nothing heavy until a lab check asks for a fixture. Then `pytest
checks/test_snapshots.py` grades the current learner; `snaplab check` runs the
same checks through this same plugin, handing it the evidence it already read
(snaplab/lab/grader.py). A failed step reports the lab's own message and hint,
not an assert dump. It also registers the `lxd://` and `incus://` testinfra hosts
(snaplab/infra), and hands `checks/test_host.py` (doctor's host checks)
its `verdict` fixture, so that module runs with plain pytest on any testinfra host.

What a lab check is given (see checks/test_snapshots.py):
- `history`: the session's journal (snaplab/lab/history.py), with `history.live`,
  what the daemon showed when grading began;
- `container`: the lab container as a testinfra host (`container.file(...)`, `.run(...)`);
  named so that testinfra's own `host` (`--hosts=...`) stays what it is;
- `step`: `step.since` and `step.proven(when)` (snaplab/lab/order.py); a check that sees
  which wrong path was taken fails with its reason, `step.fails("restored-running")` or
  `step.fails("renamed", current="gold")`: the step's `reasons:` in lab.yaml give that
  reason's text and hint (its `names:` the placeholders the check passes), shown instead of
  the step's generic fail and hint by `check`, `grade`, class grading and plain pytest;
- `snapshot`: the snapshot the learner used; `params`: every name the lab's texts use;
  `project`: the lab container's project (an API path in a hint, `lxc query`, names it);
- `daemons`: the primary and the lab's other daemons by role (`daemons["snapshot-server"]`),
  as clients; `local`: this machine as a testinfra host, as the user who grades.
snaplab/rules.py is where a check author reads this, with the helpers a check may import.
For a lab's own tests: `lab_learner`, a learner on a real daemon (snaplab/testing.py).

`--lab-roster ROSTER` grades a whole class in this one session, as testinfra's `--hosts`
runs each test on every host: each lab check runs once per learner of the roster (a CSV or
YAML roster, as `snaplab class` reads it), its id naming them (`test_snapshot_taken[kim]`),
and the fixtures give that learner's evidence, every learner's read in one pass
(snaplab/classroom/evidence.py). `snaplab class grade` runs this same session.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from snaplab.lab.graded import CLASSES as _CLASSES
from snaplab.lab.graded import GRADED as _GRADED
from snaplab.lab.graded import Class, Graded
from snaplab.lab.graded import key as _key
from snaplab.lab.graded import seed as seed  # `check` seeds the run (snaplab/lab/grader.py)


def pytest_addoption(parser: pytest.Parser) -> None:
    """`pytest --help` in the reader's language (SNAPLAB_LANG or the locale): help is
    written before any option, --lab-lang included, is read."""
    from snaplab.i18n import both, detect

    lang = detect()

    def say(en: str, ko: str) -> str:
        return both(en, ko).get(lang)

    group = parser.getgroup("snaplab", say("snaplab lab checks", "snaplab 실습 채점"))
    group.addoption(
        "--lab-backend",
        help=say(
            "lxd or incus (default: the session `start` began)",
            "lxd 또는 incus (기본값: `start`로 시작한 세션의 것)",
        ),
    )
    group.addoption(
        "--lab-instance",
        help=say("the lab container (default: the session's)", "실습 컨테이너 (기본값: 세션의 것)"),
    )
    group.addoption(
        "--lab-project",
        help=say("the project of the lab container", "실습 컨테이너의 프로젝트"),
    )
    group.addoption(
        "--lab-remote",
        help=say(
            "a stored HTTPS remote, as added by `snaplab remote add`",
            "`snaplab remote add`로 저장한 HTTPS 원격",
        ),
    )
    group.addoption(
        "--lab-lang",
        help=say("ko or en: the language of the lab's messages", "ko 또는 en: 실습 메시지의 언어"),
    )
    group.addoption(
        "--lab-roster",
        metavar="ROSTER",
        help=say(
            "grade every learner of this class roster (CSV or YAML, as `snaplab class` reads "
            "it): each lab check runs once per learner, its test id naming them",
            "이 수업 명단(`snaplab class`가 읽는 CSV 또는 YAML)의 학습자를 모두 채점합니다: "
            "각 실습 점검이 학습자마다 한 번씩 돌고, 테스트 id에 학습자가 나옵니다",
        ),
    )


def pytest_configure(config: pytest.Config) -> None:
    from snaplab.infra import register

    config.addinivalue_line("markers", "step(id): the lab step this check grades")
    config.addinivalue_line("markers", "host_check(id): the doctor check this test runs")
    register()  # --hosts=lxd://NAME and incus://NAME, in anyone's testinfra suite
    if config.getoption("--lab-roster"):
        from snaplab.classroom import listing
        from snaplab.classroom.state import not_set_up

        klass = _roster(config)
        # a class never set up here: one line, not an error for each check of each learner
        # (`--collect-only` reads nothing, and lists the ids all the same)
        error = None if config.option.collectonly else not_set_up(klass, config.option.lab_roster)
        if error:
            raise pytest.UsageError(error.render(_lang(config)))
        # the daemons list the class while pytest imports and collects the checks (as
        # `class grade` asks before it loads them): 0.5 s of a class of 200
        config.stash[_ASKED] = listing.ask(list(klass.learners), ROSTER_TIMEOUT)


def _read(config: pytest.Config, lab: Any) -> Graded:
    """A plain pytest run: the session the options name, or the one `start` last began."""
    from snaplab import remotes
    from snaplab.lab import journal, runner

    opt = config.getoption
    remote = remotes.find(opt("--lab-remote")) if opt("--lab-remote") else None
    session = journal.session_for(
        lab,
        opt("--lab-backend") or (remote.backend if remote else None),
        opt("--lab-instance"),
        opt("--lab-project") or (remote.project if remote else None),
        remote.url if remote else None,
    )
    return Graded(lab, *runner.gather(lab, session))


def lab_of(module: Any) -> Any:
    """The lab whose check module this is: a lab of the pack the file sits in (so `pytest
    DIR/checks/test_x.py` needs no SNAPLAB_PATH), else of any known pack."""
    from snaplab.lab import model, packs

    module = _key(module)
    pack = packs.pack_of(Path(module))
    candidates = [(pack, f) for f in pack.lab_files()] if pack else []
    candidates += [(p, f) for p, f in packs.index().values() if p != pack]
    for home, lab_file in candidates:
        lab = model.load_file(lab_file, home)
        if _key(lab.checks) == module:
            return lab
    return None


ROSTER_TIMEOUT = 30.0  # seconds each request of a class's read may take (`class grade`'s)
_ASKED = pytest.StashKey[Any]()  # the roster's daemons, asked as the run begins (listing.ask)


def _class(config: pytest.Config, module: Any) -> Class | None:
    """The class this check module grades: seeded by `class grade`, or the `--lab-roster`'s
    learners (their evidence read when a check first asks); None: a plain run."""
    classes = config.stash.setdefault(_CLASSES, {})
    name = _key(module)
    path = config.getoption("--lab-roster")
    if name in classes or not path:
        return classes.get(name)
    lab = lab_of(name)
    if lab is None:
        return None
    classes[name] = Class(lab, list(_roster(config, lab.instance).learners))
    return classes[name]


def _roster(config: pytest.Config, instance: str = "ubuntu-test") -> Any:
    """The `--lab-roster`'s class (`instance`: a learner's where their row names none)."""
    from snaplab.classroom import roster
    from snaplab.errors import SnaplabError

    try:
        return roster.load(Path(config.getoption("--lab-roster")), instance=instance)
    except SnaplabError as e:  # a bad roster: its one line, before anything is collected
        raise pytest.UsageError(e.render(_lang(config))) from None


def _lang(config: pytest.Config) -> str:
    from snaplab.i18n import detect

    return detect(config.getoption("--lab-lang"))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """With a roster, each lab check once per learner, as testinfra does per host."""
    if "_roster_learner" not in metafunc.fixturenames:
        return
    klass = _class(metafunc.config, metafunc.definition.path)
    if klass is not None:
        ids = [learner.id for learner in klass.learners]
        # by module, as testinfra's hosts: a learner's checks run together, as soon as that
        # learner's evidence is read, while the rest of the class is still being read
        metafunc.parametrize("_roster_learner", klass.learners, ids=ids, scope="module")


@pytest.fixture(scope="module")
def _roster_learner() -> Any:
    """The learner whose evidence the lab fixtures give (`--lab-roster`); None: the session's."""
    return None


@pytest.fixture(scope="module")
def _evidence(request: pytest.FixtureRequest, _roster_learner: Any) -> Graded:
    """What the module's checks grade (the session's, or their learner's): found once per
    module and learner, and each lab fixture cut from it. Each fixture asking for `request`
    itself cost pytest a fixture of its own per check: 0.2 s in a class of 200."""
    return _graded(request, _roster_learner)


def _learner_graded(request: pytest.FixtureRequest, learner: Any) -> Graded:
    klass = _class(request.config, request.path)
    assert klass is not None, "a learner is given only when a class is graded"
    if klass.found is None:  # each learner's read, while the checks run learner by learner
        from snaplab.classroom.evidence import start

        # the first lab's read uses the daemons' answers asked for at configure; another
        # lab in the same run asks again, for its own moment
        asked = request.config.stash.get(_ASKED, None)
        request.config.stash[_ASKED] = None
        klass.found = start(klass.lab, klass.learners, ROSTER_TIMEOUT, asked=asked)
    found = klass.of(learner.id)
    if isinstance(found, BaseException):  # their daemon down, no session: one line
        pytest.fail(str(found) or type(found).__name__, pytrace=False)
    return found


def _graded(request: pytest.FixtureRequest, learner: Any = None) -> Graded:
    from snaplab.errors import SnaplabError

    if learner is not None:
        return _learner_graded(request, learner)
    cache = request.config.stash.setdefault(_GRADED, {})
    name = _key(request.path)
    if name not in cache:
        lab = lab_of(name)
        if lab is None:
            raise pytest.UsageError(
                f"{request.path.name} is not the check module of any snaplab lab"
            )
        try:
            cache[name] = _read(request.config, lab)
        except SnaplabError as e:  # the daemon down, no session: one line, as `check` says it
            cache[name] = e
    found = cache[name]
    if isinstance(found, Exception):
        pytest.fail(str(found), pytrace=False)
    return found


@pytest.fixture
def history(_evidence: Graded) -> Any:
    return _evidence.evidence.history


@pytest.fixture
def container(_evidence: Graded) -> Any:
    return _evidence.evidence.host


@pytest.fixture
def daemons(_evidence: Graded) -> dict[str, Any]:
    """The primary and the lab's other daemons (lab.yaml `resources: daemons`), by role, as
    pylxd clients."""
    from snaplab.errors import SnaplabError

    try:
        return _evidence.daemons
    except SnaplabError as e:  # one line with its fix, as `start` says it
        pytest.fail(str(e), pytrace=False)


@pytest.fixture
def local(_evidence: Graded) -> Any:
    """This machine as a testinfra host, as the user who grades: their client, their files."""
    return _evidence.local


def reachable(backend: str, lang: str) -> None:
    """A daemon this user may not use (lxdadmin is not in incus-admin) skips the test with
    the reason, as testinfra skips a host it cannot reach; a daemon that is down fails it:
    either in one line, before a project is made."""
    from snaplab.backends import get_backend
    from snaplab.errors import ExitCode
    from snaplab.transports.local import socket_problem

    problem = socket_problem(get_backend(backend))
    if problem is None:
        return
    if problem.code == ExitCode.PERMISSION:
        pytest.skip(problem.render(lang))
    pytest.fail(problem.render(lang), pytrace=False)


@pytest.fixture
def lab_learner(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """For a lab's own tests, on a real daemon (snaplab/testing.py): `lab_learner(LAB_ID,
    BACKEND)` is a learner who has started the lab in a project of their own; each is
    finished and their project removed when the test ends."""
    from contextlib import ExitStack

    from snaplab.testing import learner

    with ExitStack() as stack:

        def make(lab_id: str, backend: str = "lxd", lang: str = "en") -> Any:
            reachable(backend, lang)
            home = tmp_path_factory.mktemp("snaplab-state")
            return stack.enter_context(learner(lab_id, backend, home, lang))

        yield make


@pytest.fixture
def snapshot(_evidence: Graded) -> str:
    return _evidence.base.snapshot


@pytest.fixture
def params(_evidence: Graded) -> SimpleNamespace:
    return SimpleNamespace(**_evidence.params)


@pytest.fixture
def project(_evidence: Graded) -> str:
    return str(_evidence.base.project)


@pytest.fixture
def step(request: pytest.FixtureRequest, _evidence: Graded) -> Any:
    sid = _step_of(request.node)
    if sid is None:
        raise pytest.UsageError(f"{request.node.nodeid} uses `step` but is not marked step(ID)")
    found = _step(_evidence, sid)
    if not found.ready():  # a skipped or unproven step leaves every later one unproven
        pytest.skip(f"{found.id}: an earlier step is not done")
    return found


def _step(graded: Graded, sid: str) -> Any:
    from snaplab.lab.order import Step

    return Step(graded.chain, sid, next((s.reasons for s in graded.lab.steps if s.id == sid), {}))


_STEP = pytest.StashKey[str | None]()


def _step_of(item: pytest.Item) -> str | None:
    """The item's step(ID), looked up once: pytest walks the item's parents for a marker,
    and a class of 200 asks 1,800 items several times each."""
    if _STEP not in item.stash:
        marker = item.get_closest_marker("step")
        item.stash[_STEP] = marker.args[0] if marker else None
    return item.stash[_STEP]


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> bool | None:
    """A step after one not done is skipped before its fixtures are set up, as `step` would
    skip it once they were: a class not yet begun is mostly such steps (1,600 of a class of
    200's 1,800). It is reported as pytest reports a skip mark, at the check's line, as
    `step`'s skip is, with no setup or teardown run for it: their hooks (capture, logging,
    fixtures) were about a sixth of plain pytest's grade of such a class. When the next item
    is in another module (or there is none), pytest must tear the module down after this
    one: then a skip mark is added, which pytest's own run of it reads. Evidence not read
    yet (the module's first check) leaves the skip to `step`."""
    sid = _step_of(item)
    found = _found(item) if sid is not None else None
    if not isinstance(found, Graded) or _step(found, sid).ready():  # type: ignore[arg-type]
        return None
    reason = f"{sid}: an earlier step is not done"
    if nextitem is None or nextitem.parent is not item.parent:
        item.add_marker(pytest.mark.skip(reason=reason))
        return None
    path, line = item.reportinfo()[:2]
    where = (os.fspath(path), (line or 0) + 1, f"Skipped: {reason}")
    keywords, at, props = {x: 1 for x in item.keywords}, time.time(), item.user_properties
    ihook, node = item.ihook, item.nodeid
    ihook.pytest_runtest_logstart(nodeid=node, location=item.location)
    skipped = pytest.TestReport(node, item.location, keywords, "skipped", where, "setup",
                                [], 0.0, at, at, props)  # fmt: skip
    ihook.pytest_runtest_logreport(report=skipped)
    done = pytest.TestReport(node, item.location, keywords, "passed", None, "teardown",
                             [], 0.0, at, at, props)  # fmt: skip
    ihook.pytest_runtest_logreport(report=done)
    ihook.pytest_runtest_logfinish(nodeid=node, location=item.location)
    return True


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Host checks need a daemon kind: say so once, before any host is asked. A lab's checks
    run in the lab's step order, whatever their order in the file."""
    if any(item.get_closest_marker("host_check") for item in items):
        from snaplab.doctor.hostchecks import require_backend

        require_backend(config)
    marked = [(i, item) for i, item in enumerate(items) if _step_of(item) is not None]
    by_module: dict[str, list[tuple[int, pytest.Item]]] = {}
    for i, item in marked:
        by_module.setdefault(_key(item.path), []).append((i, item))
    for name, found in by_module.items():
        # `check` and `class grade` have loaded it already
        seeded = config.stash.get(_GRADED, {}).get(name) or config.stash.get(_CLASSES, {}).get(name)
        lab = seeded.lab if isinstance(seeded, Graded | Class) else lab_of(name)
        if lab is None:
            continue
        order = [s.id for s in lab.steps]

        # a class's learners stay as pytest grouped them (module-scoped), each in step order
        seen = {id(_learner(item)): n for n, (_, item) in reversed(list(enumerate(found)))}

        def rank(
            pair: tuple[int, pytest.Item], order: list[str] = order, seen: dict = seen
        ) -> tuple[int, int]:
            sid = _step_of(pair[1])
            return seen[id(_learner(pair[1]))], order.index(sid) if sid in order else len(order)

        for (slot, _), (_, item) in zip(found, sorted(found, key=rank), strict=True):
            items[slot] = item


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


@pytest.hookimpl(specname="pytest_runtest_makereport", tryfirst=True)
def pytest_runtest_makereport_quick(
    item: pytest.Item, call: pytest.CallInfo
) -> pytest.TestReport | None:
    """A failed step's report, made without the traceback that pytest would format (each
    failure's source read and parsed) only for the lab's words to replace it below: 2.5 s
    of a class of 200 in plain pytest, where each learner not yet begun fails a step.
    (pytest takes a hook only by a name that begins `pytest_`; `specname` says which.)"""
    excinfo = call.excinfo
    if excinfo is None or isinstance(excinfo.value, pytest.skip.Exception):
        return None
    if _step_of(item) is None or not isinstance(_found(item), Graded):
        return None
    return pytest.TestReport(
        item.nodeid,
        item.location,
        {x: 1 for x in item.keywords},
        "failed",
        None,  # the lab's words, set by pytest_runtest_makereport
        call.when,  # type: ignore[arg-type]
        [(f"Captured {key} {when}", text) for when, key, text in item._report_sections],
        call.duration,
        call.start,
        call.stop,
        item.user_properties,
    )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Any:
    """A failed step says what the lab says: its fail message and its hint, or those of the
    reason its check named (`step.fails`)."""
    outcome = yield
    report = outcome.get_result()
    if report.failed and item.get_closest_marker("host_check"):
        _host_check_report(item, report)
        return
    sid = _step_of(item)
    if sid is None or not report.failed:
        return
    found = _found(item)
    if not isinstance(found, Graded):
        return
    # evidence found before a later assert failed proves nothing: the next step waits
    found.chain.proofs.pop(sid, None)
    from snaplab.i18n import HINT, detect
    from snaplab.lab.grader import failure

    lang = detect(item.config.getoption("--lab-lang"))
    failures = found.chain.failures
    message, hint = failure(found.lab, sid, found.params, found.commands, failures)
    report.longrepr = f"{message.get(lang)}\n{HINT.get(lang)}: {hint.get(lang)}"


def _learner(item: pytest.Item) -> Any:
    """The item's learner when a class is graded (`--lab-roster`), else None."""
    callspec = getattr(item, "callspec", None)
    return callspec.params.get("_roster_learner") if callspec else None


def _found(item: pytest.Item) -> Any:
    """The evidence the item was graded on: its learner's, when a class is graded."""
    learner = _learner(item)
    if learner is None:
        return item.config.stash.get(_GRADED, {}).get(_key(item.path))
    klass = item.config.stash.get(_CLASSES, {}).get(_key(item.path))
    return klass.of(learner.id) if klass else None


def _host_check_report(item: pytest.Item, report: pytest.TestReport) -> None:
    """A failed host check says what is wrong and its one-line fix, nothing else (JUnit's
    message too, which would otherwise begin with 'Failed: ')."""
    from snaplab.doctor.hostchecks import FINDING, describe
    from snaplab.i18n import detect

    found = item.stash.get(FINDING, None)
    if found is not None:
        report.longrepr = describe(found, detect(item.config.getoption("--lab-lang")))
