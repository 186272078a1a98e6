"""The lab verbs' shared work: which session, start it, observe it, grade it, finish it.

Ownership rule: snaplab only ever deletes an instance whose labels (snaplab/lab/owner.py)
say this run of the lab made it: the lab container, and the copies of it the learner made.
Restores cannot strip the labels, because `start` sets them before any snapshot can be taken.
"""

from __future__ import annotations

import json
import secrets
import shutil
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pylxd.exceptions import LXDAPIException, NotFound
from requests import RequestException

from snaplab import instance as api
from snaplab.errors import ExitCode, SnaplabError
from snaplab.host.image import ALIAS
from snaplab.i18n import Text, both
from snaplab.lab import entries, lock, owner, recorder
from snaplab.lab.clients import daemon_clients
from snaplab.lab.entries import MARK, MARKED
from snaplab.lab.grader import Evidence, grade
from snaplab.lab.history import History, Live
from snaplab.lab.journal import Entry, Session, current_file, now, remember
from snaplab.lab.model import Lab, Record, declared_instances, placeholders, render
from snaplab.lab.results import LabResult
from snaplab.lab.testinfra_backend import get_host
from snaplab.transports import Connection, Target, connect

PROTECT = "security.protection.delete"
OLDER_MARK = "exec"  # settle's word for an older recorder's marker: check's own exec
START_WAIT = 300.0  # seconds a second `start` waits for the first (the daemon's own timeout: 60)


def open_session(session: Session) -> Connection:
    return connect(Target(session.backend, session.url, session.project))


def get_instance(conn: Connection, name: str) -> Any:
    try:
        return conn.client.instances.get(name)
    except NotFound:
        return None


def start(
    lab: Lab,
    session: Session,
    conn: Connection,
    record: bool = True,
    devices: dict[str, Any] | None = None,
) -> str:
    """Idempotent: create and start the lab container, and make sure events are recorded.

    `record=False` leaves recording to the caller (a class shares one recorder
    per daemon) and does not make this the user's current session. `devices`: the
    container's own, beside its profiles' (a class's root disk: classroom/projects.py).

    One start at a time per session: a second one (another terminal, same state
    directory) waits for the first, then finds its container and its recorder.
    A start from elsewhere (another user, another state directory) cannot be
    waited for: while one runs, any other start of that container says so.
    """
    running = lambda: start_running(lab, session)  # noqa: E731
    with lock.exclusive(session.start_lock, START_WAIT, running):
        with lock.machine_wide(start_key(conn, session), running):
            return _start(lab, session, conn, record, devices)


def start_key(conn: Connection, session: Session) -> str:
    """The container as its daemon knows it: the same name whichever socket, address or
    state directory a start came through, and another for a second daemon beside the first."""
    env = conn.client.host_info["environment"]
    daemon = f"{env.get('server_name')}/{env.get('server_pid')}"
    return f"start/{conn.backend.name}/{daemon}/{session.project}/{session.instance}"


def start_running(lab: Lab, session: Session) -> SnaplabError:
    return SnaplabError(
        both(
            f"a `snaplab start` of the lab container {session.instance} is already running "
            f"(in another terminal, or another user's): try `snaplab start {lab.id}` again "
            f"when it is done",
            f"실습 컨테이너 {session.instance}에 대한 `snaplab start`가 이미 실행 중입니다(다른 "
            f"터미널이나 다른 사용자의 것입니다): 끝난 뒤 `snaplab start {lab.id}`를 다시 "
            f"실행하세요",
        ),
        ExitCode.CONFLICT,
    )


def busy(conn: Connection, name: str) -> bool:
    """Whether the daemon is running an operation on the instance (e.g. another start's create)."""
    base = f"/1.0/instances/{name}"
    try:
        ops = conn.client.api.operations.get(params={"recursion": 1}).json()["metadata"] or {}
    except LXDAPIException:
        return False
    return any(
        str(r).split("?")[0] == base
        for op in ops.get("running") or []
        for r in (op.get("resources") or {}).get("instances") or []
    )


def record_for(lab: Lab, backend: Any, url: str | None) -> Record:
    """The lab's Record with the sockets of the other daemons its requests name, for the
    recorder's spec: the recorder reads their request logs and knows no daemon by role.
    A remote host's other daemons are not this machine's to reach: none then."""
    from snaplab.daemons import get_daemon

    if url is not None or not lab.record.other_daemons:
        return lab.record
    sockets = {role: str(get_daemon(role).ops.socket(backend)) for role in lab.daemons}
    return replace(lab.record, sockets=tuple(sorted(sockets.items())))


def not_ours(inst: Any, name: str, session: Session) -> Text:
    """Another lab's container (chapter 9's rockylinux-test-9 when chapter 10 starts), a copy
    made in another run of a lab, or one snaplab did not make: untouched, and the learner
    told what to do."""
    made = owner.made_by(inst.config)
    if made is not None:
        other, run = made
        finish = f"snaplab finish {other}" + (f" --instance {run}" if run not in ("", name) else "")
        if other == session.lab and run not in ("", name):
            return both(
                f"the container {name} is a copy made in another run of the lab {other} (its "
                f"container is {run}): `{finish}` removes it, or use --instance OTHER-NAME",
                f"{name} 컨테이너는 {other} 실습의 다른 실행에서 만든 복사본입니다(그 실습 "
                f"컨테이너는 {run}입니다): `{finish}`로 지우거나 --instance 다른-이름을 쓰세요",
            )
        return both(
            f"the container {name} is the lab {other}'s: finish it first "
            f"(`{finish}`), or use --instance OTHER-NAME",
            f"{name} 컨테이너는 {other} 실습의 것입니다: 먼저 그 실습을 마치거나"
            f"(`{finish}`) --instance 다른-이름을 쓰세요",
        )
    return both(
        f"a container named {name} already exists and snaplab did not create "
        f"it; snaplab never touches it: use --instance OTHER-NAME, or remove it yourself",
        f"{name} 컨테이너가 이미 있고 snaplab이 만든 것이 아닙니다. snaplab은 이 "
        f"컨테이너를 건드리지 않습니다: --instance 다른-이름을 쓰거나 직접 정리하세요",
    )


def _start(
    lab: Lab, session: Session, conn: Connection, record: bool, devices: dict[str, Any] | None
) -> str:
    cli = conn.backend.cli
    # a remote host's other daemons are not this machine's to ask
    others = daemon_clients(lab, conn.backend) if session.url is None else {}
    inst = get_instance(conn, session.instance)
    made = False
    if inst is not None and not owner.mine(inst.config, session.instance, session):
        raise SnaplabError(not_ours(inst, session.instance, session), ExitCode.CONFLICT)
    if inst is None:
        there_before(lab, session, {"": conn.client, **others})
        try:
            inst = conn.client.instances.create(
                {
                    "name": session.instance,
                    "source": {"type": "image", "alias": ALIAS},
                    "config": {**owner.labels(session), PROTECT: "true"},
                    **({"devices": devices} if devices else {}),
                },
                wait=True,
            )
        except LXDAPIException:
            # absent a moment ago, the lab's now: another start made it meanwhile
            other = get_instance(conn, session.instance)
            if other is not None and owner.mine(other.config, session.instance, session):
                raise start_running(lab, session) from None
            image_missing(conn)
            raise
        made = True
    begun = made or not any(
        e.kind == "start" and e.created_at == inst.created_at for e in session.entries()
    )
    if inst.status != "Running":
        try:
            inst.start(wait=True)  # pylxd reads the instance again after: its status is fresh
        except LXDAPIException:
            inst.sync()
            if inst.status != "Running":  # running now: another start started it, all is well
                if busy(conn, session.instance):
                    raise start_running(lab, session) from None
                raise
    if begun:
        session.append(
            Entry(
                t=now(),
                kind="start",
                created_at=inst.created_at,
                files={
                    p: api.file_exists(conn.client, session.instance, p) for p in lab.record.files
                },
                status=inst.status,
            )
        )
    if record:
        if not recorder.alive(session):
            recorder.spawn(session, record_for(lab, conn.backend, session.url))
        remember(session)
    return f"{cli} exec {session.instance} bash"


def image_missing(conn: Connection) -> None:
    """Why a create failed, when it is the lab's image that is not there: asked only then,
    not before every create (a request per learner when a class is set up)."""
    try:
        conn.client.api.images.aliases[ALIAS].get()
    except NotFound:
        raise SnaplabError(
            both(
                f"the lab image {ALIAS} is missing: run `sudo snaplab host setup --backend "
                f"{conn.backend.name}`",
                f"실습 이미지 {ALIAS}이(가) 없습니다: `sudo snaplab host setup --backend "
                f"{conn.backend.name}`을 실행하세요",
            ),
            ExitCode.NOT_FOUND,
        ) from None


def observe(lab: Lab, session: Session, conn: Connection, mark: str = "") -> Live:
    """What the daemon and the container show now; written to the journal as evidence.

    Nothing runs inside the container: the files API answers (an exec would be an event of
    its own, and a round trip more). `mark` rides on the first read, for the recorder to
    write down (see settle)."""
    state = instance_state(conn, session.instance, mark)
    if state is None:
        return Live(exists=False)
    snaps = (
        api.node(conn.client, f"/1.0/instances/{session.instance}/snapshots")
        .get(params={"recursion": 1})
        .json()["metadata"]
    )
    live = Live(
        exists=True,
        created_at=state.get("created_at", ""),
        status=state.get("status", ""),
        protected=(state.get("config") or {}).get(PROTECT) == "true",
        snapshots={s["name"]: s.get("created_at", "") for s in snaps},
    )
    live.files = {p: look_for_file(p, session, conn) for p in lab.record.files}
    observed(session, live)
    return live


def observed(session: Session, live: Live) -> None:
    """What was seen goes into the journal: a later check may need to know it was seen."""
    session.append(
        Entry(
            t=now(),
            kind="observe",
            files={p: seen for p, seen in live.files.items() if seen is not None},
            snapshots=sorted(live.snapshots),
            status=live.status,
        )
    )


def instance_state(conn: Connection, name: str, mark: str = "") -> dict[str, Any] | None:
    """The instance as the daemon has it (one raw GET), None when there is none."""
    params = {MARK: mark} if mark else {}
    try:
        return dict(
            api.node(conn.client, f"/1.0/instances/{name}").get(params=params).json()["metadata"]
        )
    except NotFound:
        return None


def look_for_file(path: str, session: Session, conn: Connection) -> bool | None:
    """Is the file there? Asked through the files API, running or not. A container that is
    stopping or starting while we look makes it fail now and then ("connection reset" from
    the daemon's file server): ask again, then say "unknown" rather than end the grade."""
    return api.asked(
        lambda: api.file_exists(conn.client, session.instance, path),
        3,
        (LXDAPIException, api.OperationFailed, RequestException),
        pause=0.2,
    )


def marks_heard(session: Session) -> bool:
    """Whether the session's recorder writes check's mark down: one started before this
    snaplab was installed (an upgrade in the middle of a lab) knows only the older marker,
    check's own exec."""
    try:
        return recorder.pidfile(session).stat().st_mtime >= Path(entries.__file__).stat().st_mtime
    except OSError:
        return False


def settle(session: Session, mark: str, since: str, timeout: float = 3.0) -> bool:
    """Wait until the recorder has written check's mark down: then it has written all the
    daemon told it before (the request log and the events come on one stream, in order).
    An older recorder's marker is check's own exec, written at or after `since`. Looked
    for once at least, whatever the `timeout`."""
    start = Entry(t=since, kind="observe").when
    deadline = time.monotonic() + timeout
    every = 0.001
    while True:
        for e in reversed(session.entries()):
            if (e.kind == MARKED and e.note == mark) or (e.own and e.when >= start):
                return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(every)
        every = min(2 * every, 0.02)  # a mark is mostly written within a few ms: look soon,
        # then less often (a class has 16 learners waiting at once)


def check(lab: Lab, session: Session, restart_recorder: bool = True) -> LabResult:
    """`restart_recorder=False`: class grading, whose recorders `class grade` looks after."""
    evidence, base, commands = gather(lab, session, restart_recorder)
    return grade(lab, evidence, base, commands)


def gather(
    lab: Lab, session: Session, restart_recorder: bool = True
) -> tuple[Evidence, LabResult, dict[str, str]]:
    """Everything a lab's checks are handed: `check` and a plain `pytest` run share it."""
    conn = open_session(session)
    notes = []
    if not any(e.kind == "start" for e in session.entries()):
        raise not_started(lab)
    # the lab's other daemons: one line when one is down, not a failed step; a remote host's
    # are not this machine's to ask
    others = daemon_clients(lab, conn.backend) if session.url is None else {}
    if not recorder.alive(session) and not restart_recorder:
        notes.append(NO_RECORDER)
    elif not recorder.alive(session):
        recorder.spawn(session, record_for(lab, conn.backend, session.url))
        notes.append(
            both(
                "the event recorder was not running and has been restarted: steps "
                "done meanwhile may need doing again",
                "이벤트 기록기가 실행 중이 아니어서 다시 시작했습니다. 그동안 한 단계는 "
                "다시 해야 할 수 있습니다",
            )
        )
    since = now()
    recorded = recorder.alive(session)
    heard = recorded and marks_heard(session)
    mark = secrets.token_hex(8) if heard else ""
    host = get_host(session.instance, conn.client)
    live = observe(lab, session, conn, mark)
    if not live.exists:
        raise gone(lab, session)
    # an older recorder's marker is check's own exec, where the lab records execs at all
    if recorded and not heard and live.status == "Running" and "instance-exec" in lab.record.events:
        try:
            host.run("true")
            mark = OLDER_MARK
        except (LXDAPIException, api.OperationFailed, RequestException):
            mark = ""
    if mark and not settle(session, mark, since):
        notes.append(
            both(
                "the event recorder is lagging; run check again in a moment",
                "이벤트 기록기가 늦어지고 있습니다. 잠시 후 다시 check를 실행하세요",
            )
        )
    return handed(
        lab, session, Evidence(host, live, History(session.entries(), live), others), notes
    )


def handed(
    lab: Lab, session: Session, evidence: Evidence, notes: list[Text]
) -> tuple[Evidence, LabResult, dict[str, str]]:
    """The evidence with the result it starts and the commands its hints name: gather's,
    and class grading's, which reads every learner's daemon at once (classroom/evidence.py)."""
    snapshot = evidence.history.chosen_snapshot() or lab.snapshot
    gap = reopened(evidence.history.entries)
    base = LabResult(
        lab.id,
        session.backend,
        session.instance,
        session.project,
        snapshot,
        notes=[*notes, gap] if gap else notes,
    )
    fill = placeholders(lab, session.backend, session.instance, snapshot)
    commands = {
        s.id: "; ".join(render(c, fill) for c in s.commands[session.backend]) for s in lab.steps
    }
    return evidence, base, commands


NO_RECORDER = both(
    "no event recorder is running for this lab: steps done while none ran leave no evidence",
    "이 실습의 이벤트 기록기가 실행 중이 아닙니다. 기록기 없이 한 단계는 증거가 남지 않습니다",
)


def reopened(entries: list[Entry]) -> Text | None:
    """The recorder began listening more than once since the lab started: the daemon
    restarted, or closed the stream of a listener that fell behind, and what happened
    before it listened again left no evidence. The learner is told when, so a step they
    did then and see failing is done again, not doubted."""
    heard = [e for e in entries if e.kind == "recorder" and e.note == "listening"]
    if len(heard) < 2:
        return None
    at = heard[-1].when.astimezone().strftime("%H:%M:%S")
    return both(
        f"the event recorder lost the daemon's event stream and listened again at {at}: a "
        "command typed just before may have left no evidence; do again a step you did then",
        f"이벤트 기록기가 데몬의 이벤트 스트림을 잃었다가 {at}에 다시 듣기 시작했습니다. 그 "
        "직전에 입력한 명령은 증거가 남지 않았을 수 있으니, 그때 한 단계는 다시 하세요",
    )


def not_started(lab: Lab) -> SnaplabError:
    return SnaplabError(
        both(
            f"the lab {lab.id} has not been started here: run `snaplab start {lab.id}`",
            f"{lab.id} 실습이 아직 시작되지 않았습니다: `snaplab start {lab.id}`를 실행하세요",
        ),
        ExitCode.NOT_FOUND,
    )


def gone(lab: Lab, session: Session) -> SnaplabError:
    return SnaplabError(
        both(
            f"the lab container {session.instance} is gone (deleted?); your journal is kept: "
            f"`snaplab start {lab.id}` re-creates the container and the lab begins again",
            f"실습 컨테이너 {session.instance}이(가) 없습니다(삭제되었나요?). 기록은 남아 있습니다: "
            f"`snaplab start {lab.id}`로 컨테이너를 다시 만들고 실습을 처음부터 시작하세요",
        ),
        ExitCode.NOT_FOUND,
    )


def wait_until_passed(
    lab: Lab, session: Session, step_id: str, seconds: float, every: float = 10
) -> bool:
    """A step the daemon finishes on its own (a schedule, an expiry): check until it passes,
    as a person would look again now and then. False if it did not within `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        if any(s.id == step_id and s.status == "pass" for s in check(lab, session).steps):
            return True
        if time.monotonic() + every > deadline:
            return False
        time.sleep(every)


def listed(client: Any) -> dict[str, dict[str, Any]]:
    """The instances of the client's project (a raw read: pylxd's `all()` fetches each)."""
    found = api.node(client, "/1.0/instances").get(params={"recursion": 1}).json()["metadata"]
    return {i["name"]: i for i in found or []}


def named(role: str, name: str) -> str:
    """How finish and start name an instance: on the primary by its name, else `role:name`."""
    return f"{role}:{name}" if role else name


def declared_there(
    lab: Lab, session: Session, clients: dict[str, Any]
) -> list[tuple[str, str, dict[str, Any]]]:
    """The lab's declared instances (`resources.instances`) that exist now, on each daemon
    ("" the primary, in the session's project): (role, name, the instance)."""
    names = declared_instances(lab, session.backend, session.instance)
    found = []
    for role, client in clients.items():
        there = listed(client) if names else {}
        for name in names:
            if name in there and not (role == "" and name == session.instance):
                found.append((role, name, there[name]))
    return found


def there_before(lab: Lab, session: Session, clients: dict[str, Any]) -> None:
    """A fresh start (its container is not there yet) with a declared instance already there:
    the step that makes it would fail later ("already exists"), so say so now."""
    for role, name, inst in declared_there(lab, session, clients):
        what = named(role, name)
        if owner.mine(inst.get("config") or {}, name, session):
            raise SnaplabError(
                both(
                    f"{what} is still there from an earlier run of this lab, and a step of it "
                    f"makes {name}: `snaplab finish {lab.id}` removes it, then start again",
                    f"이 실습의 이전 실행에서 만든 {what}이(가) 아직 있고, 실습의 한 단계가 "
                    f"{name}을(를) 만듭니다: `snaplab finish {lab.id}`로 지운 뒤 다시 시작하세요",
                ),
                ExitCode.CONFLICT,
            )
        raise SnaplabError(
            both(
                f"{what} is already there and snaplab did not make it for this lab, whose step "
                f"makes {name} (it would fail: already exists): rename or remove it yourself, "
                f"then start again",
                f"{what}이(가) 이미 있고 snaplab이 이 실습을 위해 만든 것이 아닙니다. 실습의 한 "
                f"단계가 {name}을(를) 만드므로 실패합니다(이미 있음): 직접 이름을 바꾸거나 지운 "
                f"뒤 다시 시작하세요",
            ),
            ExitCode.CONFLICT,
        )


@dataclass
class Finished:
    """What `finish` removed, and the declared instances it found but left (not this run's)."""

    removed: list[str] = field(default_factory=list)
    left: list[tuple[str, Text]] = field(default_factory=list)


def remove(client: Any, name: str, session: Session) -> bool:
    """Delete the instance if, and only if, its labels say this run of the lab made it,
    lifting the delete protection only where it is set."""
    try:
        inst = client.instances.get(name)
    except NotFound:
        return False
    if not owner.mine(inst.config, name, session):
        return False
    try:
        if inst.config.get(PROTECT, "").lower() in ("true", "1", "yes", "on"):
            inst.config[PROTECT] = "false"
            inst.save(wait=True)
        if inst.status != "Stopped":
            inst.stop(wait=True, force=True)
        inst.delete(wait=True)
    except LXDAPIException as e:
        raise SnaplabError(
            both(f"could not remove {name}: {e}", f"{name}을(를) 지울 수 없습니다: {e}"),
            ExitCode.DAEMON_DOWN,
        ) from None
    return True


def sweep(lab: Lab, session: Session, clients: dict[str, Any]) -> Finished:
    """Every instance of this run, on each daemon ("" the primary, in the session's project):
    its container first, then what was copied from it; and the declared ones it leaves."""
    done = Finished()
    for role, client in clients.items():
        there = listed(client)
        ours = [n for n, i in there.items() if owner.mine(i.get("config") or {}, n, session)]
        for name in sorted(ours, key=lambda n: (n != session.instance, n)):
            if remove(client, name, session):
                done.removed.append(named(role, name))
    for role, name, _ in declared_there(lab, session, clients):  # what is left: not ours
        what = named(role, name)
        why = both(
            f"left {what}: snaplab did not make it in this run of the lab (it does not carry "
            f"its label), so it is yours to keep or remove",
            f"{what}은(는) 남겨 두었습니다: 이번 실습에서 snaplab이 만든 것이 아니므로(이 "
            f"실습의 레이블이 없습니다) 두거나 지우는 것은 여러분의 몫입니다",
        )
        done.left.append((what, why))
    return done


def finish(lab: Lab, session: Session) -> Finished:
    """Remove only what this run of the lab made; safe to run again, and with the daemon down.
    What the learner made outside the daemons (a remote, a crontab line) stays theirs."""
    recorder.stop(session)
    conn = open_session(session)  # daemon down: say so, and keep the journal
    clients = {"": conn.client}
    if session.url is None:  # the lab's other daemons: those answering
        clients.update(daemon_clients(lab, conn.backend, strict=False))
    done = sweep(lab, session, clients)
    shutil.rmtree(session.dir, ignore_errors=True)
    current = current_file(lab.id)
    try:
        if json.loads(current.read_text()) == session.to_dict():
            current.unlink()
    except (OSError, ValueError):
        pass
    return done
