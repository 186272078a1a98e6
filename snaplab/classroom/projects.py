"""The shared classroom host: a project per learner, the lab started in each.

Ownership: every project snaplab makes carries `user.snaplab.owner=class:NAME`,
and `teardown` only removes, of what is in it, the lab container (`lab:ID`) and
the tokens and certificates named `snaplab-NAME-ID`; a project that still holds
anything else is kept and reported. Learners with their own hosts (HTTPS
targets) get the lab started in their project, with no project or token made.
Tokens are in `tokens`, the class's event recorders in `recording`.

A learner's root disk is on their lab container, and their project's `default` profile is
empty. LXD 5.0.2 rebalances CPUs after every container start and stop: it loads every
instance with its profiles, and each profile's devices by reading every profile's devices
(cluster.GetConfig reads the whole table). With a root disk in each of 200 learners'
profiles, seven starts in a row cost LXD 8.2 CPU-seconds, and 5.5 without; a class's setup
of 200 cost it 84, and 57 without. A learner who launches another container in their
project names a pool (`-s default`); a copy of the lab container keeps its disk.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from pylxd.exceptions import LXDAPIException

from snaplab import instance as api
from snaplab.classroom.roster import Learner, Roster
from snaplab.classroom.state import class_dir
from snaplab.classroom.tokens import Trust, make_token, read_trust, revoke, token_name
from snaplab.errors import ExitCode, SnaplabError
from snaplab.i18n import Text, as_text, both, same
from snaplab.lab import runner
from snaplab.lab.model import Lab
from snaplab.transports import Connection, Target, connect

OWNER_KEY = "user.snaplab.owner"


def owner(roster: Roster) -> str:
    return f"class:{roster.name}"


NOTHING = same("")


@dataclass
class Done:
    """What setup or teardown did for one learner, in both languages (the JSON: English)."""

    id: str
    project: str
    actions: list[Text] = field(default_factory=list)
    token: str = ""
    error: Text = NOTHING
    kept: Text = NOTHING  # teardown left something that is not snaplab's, and why

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "id": self.id,
            "project": self.project,
            "actions": [a.en for a in self.actions],
        }
        if self.error:
            d["error"] = self.error.en
        if self.kept:
            d["kept"] = self.kept.en
        return d


def _connect(learner: Learner, project: str = "default") -> Connection:
    return connect(Target(learner.backend, learner.url, project))


def host_admin(backend: str) -> Connection:
    """The shared host, as its administrator: the local socket's default project."""
    return connect(Target(backend, None, "default"))


@dataclass
class Host:
    """One daemon as setup and teardown read it once for the whole class, not once a learner:
    its administrator's connection (shared by the threads), root disk, projects and trust.
    Each read made per learner was a round trip, and the project and token lists grow with
    the class."""

    admin: Connection
    root: dict[str, str] | None  # the default profile's root disk, if it has one
    projects: dict[str, dict[str, Any]]
    trust: Trust


def read_host(backend: str) -> Host:
    admin = host_admin(backend)
    found = api.node(admin.client, "/1.0/projects").get(params={"recursion": 1}).json()
    return Host(
        admin,
        root_disk(admin.client.profiles.get("default").devices),
        {p["name"]: p for p in found["metadata"] or []},
        read_trust(admin),
    )


def root_disk(devices: dict[str, dict[str, str]]) -> dict[str, str] | None:
    """The root disk of a profile's devices, for the learner's profile."""
    for dev in devices.values():
        if dev.get("type") == "disk" and dev.get("path") == "/":
            return {"type": "disk", "path": "/", "pool": dev["pool"]}
    return None


NO_ROOT_DISK = both(
    "the host's default profile has no root disk: run `sudo snaplab host setup`",
    "호스트의 기본 프로필에 루트 디스크가 없습니다: `sudo snaplab host setup`을 실행하세요",
)


def project_config(roster: Roster) -> dict[str, str]:
    """A restricted project with its own profiles (a learner cannot edit the host's) and the
    host's images (read from the default project, so the image is not copied per learner)."""
    return {
        OWNER_KEY: owner(roster),
        "features.images": "false",
        "features.profiles": "true",
        "features.storage.volumes": "true",
        "restricted": "true",  # no privileged containers, no host paths...
        "restricted.snapshots": "allow",  # ...but snapshots are the lesson
    }


def make_project(roster: Roster, learner: Learner, host: Host, done: Done) -> Connection:
    """The learner's project, made, or found and brought up to date if it is this class's."""
    config = project_config(roster)
    admin = host.admin
    existing = host.projects.get(learner.project)
    if existing is not None:
        if existing.get("config", {}).get(OWNER_KEY) != owner(roster):
            raise SnaplabError(
                both(
                    f"project {learner.project} exists and is not this class's: snaplab leaves "
                    f"it alone; give {learner.id} another project in the roster",
                    f"프로젝트 {learner.project}이(가) 이미 있고 이 수업의 것이 아닙니다. snaplab은 "
                    f"이 프로젝트를 건드리지 않습니다: 명단에서 {learner.id}에게 다른 프로젝트를 "
                    "지정하세요",
                ),
                ExitCode.CONFLICT,
            )
        api.node(admin.client, f"/1.0/projects/{learner.project}").patch(json={"config": config})
        return _connect(learner, learner.project)
    admin.client.api.projects.post(
        json={
            "name": learner.project,
            "description": f"snaplab class {roster.name}: {learner.name}",
            "config": config,
        }
    )
    inside = _connect(learner, learner.project)
    done.actions.append(both(f"project {learner.project}", f"프로젝트 {learner.project}"))
    return inside


def listen(roster: Roster, admin: Connection, address: str) -> str:
    """Tokens name the addresses the daemon listens on: without one, no learner can use them.
    An address setup sets is written down, so teardown can unset it; one found is kept."""
    current = admin.client.host_info["config"].get("core.https_address", "")
    if current:
        return str(current)
    _set_address(admin, address)
    (class_dir(roster) / f"listen-{admin.backend.name}").write_text(address)
    return address


def unlisten(roster: Roster, backend: str) -> Text | None:
    """Undo what `listen` set, unless someone has changed it since."""
    mark = class_dir(roster) / f"listen-{backend}"
    if not mark.exists():
        return None
    address = mark.read_text()
    conn = host_admin(backend)
    mark.unlink()
    if conn.client.host_info["config"].get("core.https_address", "") != address:
        return None
    _set_address(conn, "")
    title = conn.backend.title
    return both(
        f"{title} no longer listens on {address} (setup had made it listen)",
        f"{title}은(는) 이제 {address}에서 연결을 받지 않습니다(setup이 열어 두었던 주소입니다)",
    )


def _set_address(conn: Connection, address: str) -> None:
    api.node(conn.client, "/1.0").patch(json={"config": {"core.https_address": address}})


def setup_one(lab: Lab, roster: Roster, learner: Learner, hosts: dict[str, Host]) -> Done:
    """`hosts`: each local backend as read once for the class (see Host)."""
    done = Done(learner.id, learner.project)
    fresh = False  # a project made just now holds no container yet
    devices = None  # a learner on their own host: their project's profile has the root disk
    if learner.url is None:
        host = hosts[learner.backend]
        if host.root is None:
            raise SnaplabError(NO_ROOT_DISK, ExitCode.SETUP_FAILED)
        devices = {"root": host.root}  # on the container, not in a profile: see the top
        fresh = learner.project not in host.projects
        conn = make_project(roster, learner, host, done)
        done.token = make_token(roster, learner, host.admin, host.trust)
        if done.token:
            done.actions.append(both("token", "토큰"))
    else:
        conn = _connect(learner, learner.project)
    sess = learner.session(lab.id)
    inst = None if fresh else runner.get_instance(conn, learner.instance)
    if inst is not None and any(
        e.kind == "start" and e.created_at == inst.created_at for e in sess.entries()
    ):
        return done  # begun already: a stopped container may be the learner's step, not ours
    runner.start(lab, sess, conn, record=False, devices=devices)
    done.actions.append(both(f"lab in {learner.instance}", f"{learner.instance}에 실습"))
    return done


def teardown_one(lab: Lab, roster: Roster, learner: Learner, hosts: dict[str, Host]) -> Done:
    done = Done(learner.id, learner.project)
    sess = learner.session(lab.id)
    if learner.url is None:
        host = hosts[learner.backend]
        admin = host.admin
        done.actions += revoke(admin, token_name(roster, learner), True, host.trust)
        found = host.projects.get(learner.project)
        if found is None or found.get("config", {}).get(OWNER_KEY) != owner(roster):
            shutil.rmtree(sess.dir, ignore_errors=True)
            return done  # not this class's project: nothing in it is ours
        done.actions += map(same, runner.finish(lab, sess).removed)  # instance names
        try:
            api.node(admin.client, f"/1.0/projects/{learner.project}").delete()
            done.actions.append(both(f"project {learner.project}", f"프로젝트 {learner.project}"))
        except LXDAPIException as e:
            done.kept = both(
                f"kept project {learner.project}: it holds things snaplab did not make ({e})",
                f"프로젝트 {learner.project}을(를) 남겼습니다: snaplab이 만들지 않은 것이 들어 "
                f"있습니다({e})",
            )
        return done
    done.actions += map(same, runner.finish(lab, sess).removed)
    return done


def each(
    learners: Iterable[Learner],
    work: Callable[[Learner], Done],
    jobs: int,
    progress: Callable[[Done], None],
) -> list[Done]:
    """Learners in parallel threads (the daemon does the work); one failure stops no one."""

    def guarded(learner: Learner) -> Done:
        try:
            done = work(learner)
        except SnaplabError as e:
            done = Done(learner.id, learner.project, error=as_text(e.message))
        except LXDAPIException as e:
            refused = both(f"the daemon refused: {e}", f"데몬이 요청을 거부했습니다: {e}")
            done = Done(learner.id, learner.project, error=refused)
        progress(done)
        return done

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return list(pool.map(guarded, learners))


def read_hosts(roster: Roster) -> dict[str, Host]:
    """Each backend the roster's local learners use, read once (see Host)."""
    return {name: read_host(name) for name in sorted({x.backend for x in roster.local()})}
