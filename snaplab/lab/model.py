"""A lab loaded from labs/<id>/lab.yaml: validated whole before any daemon is touched."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from snaplab.errors import ExitCode, SnaplabError, not_yaml
from snaplab.i18n import Text, both, text
from snaplab.lab import coverage, packs
from snaplab.lab.packs import Pack
from snaplab.lab.schema import validate

NAME = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,62}$")


@dataclass(frozen=True)
class Command:
    run: str
    stdin: tuple[str, ...] = ()
    expect_failure: str | None = None
    recorded: bool = True  # False: read-only or refused, no lifecycle event to wait for
    saves: str | None = None  # the parameter its stdout's last line becomes, e.g. a trust token
    heredoc: bool = False  # stdin is a file's text (`sudo tee FILE`), not lines for a shell

    @property
    def shell(self) -> bool:
        """A shell it opens takes the stdin lines; its exit status is its last command's."""
        return bool(self.stdin) and not self.heredoc

    @property
    def quoted(self) -> bool:
        """Split as a shell would only when the lab wrote quotes (`snapshots.schedule "50 20 *
        * *"`): a learner's snapshot name may hold a quote of its own (SNAPSHOT_NAME), and
        it must reach the daemon as typed. So a quoted command may not name {snapshot}
        (_unknown_names says so when the lab loads)."""
        return "'" in self.run or '"' in self.run


@dataclass(frozen=True)
class Reason:
    """One specific way a step can fail (lab.yaml `reasons:`), with its own text and hint.

    A check names it, `step.fails("renamed", current="gold")`, when the evidence shows
    which wrong path was taken: the generic hint would ask for what cannot work now.
    `names` are the placeholders the check passes besides the lab's parameters (`{current}`:
    what the daemon shows now); declared, so that a typo is found when the lab loads."""

    failed: Text
    hint: Text
    names: tuple[str, ...] = ()


@dataclass(frozen=True)
class Step:
    id: str
    points: int
    title: Text
    why: Text
    commands: dict[str, tuple[Command, ...]]
    passed: Text
    failed: Text
    hint: Text
    warning: bool = False
    book_note: Text | None = None  # where the book is wrong or outdated, said on the guide page
    waits: int = 0  # seconds the daemon may take to finish this step on its own (a schedule)
    earlier: bool = False  # may be done before this run (schema): solve skips it when it passes
    reasons: Mapping[str, Reason] = field(default_factory=dict)  # by id, as a check names them


@dataclass(frozen=True)
class Request:
    """An API request that leaves no lifecycle event (`lxc info`'s GET), recorded as `name`."""

    name: str
    method: str
    path: str  # may name any parameter: /1.0/instances/{copy}
    query: str = ""  # e.g. recursion=1: every pair must be in the request's query; "": any
    daemon: str = ""  # the daemon it is sent to (schema.DAEMONS); "": the primary


@dataclass(frozen=True)
class Task:
    """The daemon's own work (the snapshot scheduler, expiry pruning), told apart from a learner's.

    Its lifecycle events are a learner's, requestor and all; only the operation around them
    differs: a task operation with this `description` that names no instance. A lifecycle
    `action` of the lab instance inside one is written with `by: name`.
    """

    name: str
    description: str  # the operation's, as the daemon says it: "Snapshotting instance"
    action: str  # the lifecycle action it accounts for (one of Record.events)


@dataclass(frozen=True)
class Other:
    """A lifecycle event of a resource besides the lab instance: a copy the learner makes,
    an image, a profile, a storage volume or its snapshot, as the daemon names it."""

    action: str  # the daemon's lifecycle action, e.g. instance-created, image-created
    name: str = ""  # the lab's parameters may fill it ("{copy}"); "": any resource of that kind


@dataclass(frozen=True)
class Record:
    """What the recorder writes down for a lab: the engine itself knows no chapter."""

    events: tuple[str, ...] = ()  # lifecycle actions of the lab instance, each probed
    files: tuple[str, ...] = ()  # paths in the instance a probe looks for
    requests: tuple[Request, ...] = ()
    config: tuple[str, ...] = ()  # the instance's config keys a probe reads
    tasks: tuple[Task, ...] = ()  # the daemon's own operations, named on the events they cause
    # (daemon, unix socket) of the other daemons a request names: not in lab.yaml, but filled
    # in by whoever starts the recorder (runner.record_for), which knows where they are
    sockets: tuple[tuple[str, str], ...] = ()
    others: tuple[Other, ...] = ()  # lifecycle events of other resources (named ones probed)
    # the lab's parameters: a request's path and an other's name are filled per session (a
    # class's recorder serves many instance names), the learner's instance name first
    params: dict[str, str | dict[str, str]] = field(default_factory=dict)
    # a class's grade looks at `files` only once a learner's journal has this event: a look
    # before it tells no check anything, and costs the daemon a request per learner
    files_after: str = ""

    def socket(self, daemon: str) -> str:
        return dict(self.sockets).get(daemon, "")

    def names(self, backend: str, instance: str) -> dict[str, str]:
        """The parameters as a session has them: what paths and others' names are filled with."""
        return values(self.params, backend, instance, str(self.params.get("snapshot", "")))

    def path(self, request: Request, backend: str, instance: str) -> str:
        return _filled(request.path, self.names(backend, instance))

    def other(self, action: str, name: str, backend: str, instance: str) -> Other | None:
        """The `others` entry an event of resource `name` answers, if any: one naming it
        first, else one naming no resource. Never the lab instance: that is `events`'."""
        if action.startswith("instance-") and name == instance:
            return None
        names = self.names(backend, instance)
        wanted = [o for o in self.others if o.action == action]
        named = [o for o in wanted if o.name and _filled(o.name, names) == name]
        found = named or [o for o in wanted if not o.name]
        return found[0] if found else None

    def named(self, backend: str, instance: str) -> set[str]:
        """The other instances the lab names whose execs it records (an exec's end)."""
        names = self.names(backend, instance)
        return {_filled(o.name, names) for o in self.others if o.action == "instance-exec"} - {
            "",
            instance,
        }

    @property
    def other_daemons(self) -> tuple[str, ...]:
        """The daemons besides the primary whose request logs the recorder reads."""
        return tuple(sorted({r.daemon for r in self.requests if r.daemon}))

    def to_dict(self) -> dict[str, Any]:
        return {
            "events": list(self.events),
            "files": list(self.files),
            "requests": [vars(r) for r in self.requests],
            "config": list(self.config),
            "tasks": [vars(t) for t in self.tasks],
            "sockets": dict(self.sockets),
            "others": [vars(o) for o in self.others],
            "params": dict(self.params),
            "files_after": self.files_after,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Record:
        return cls(
            tuple(d.get("events") or ()),
            tuple(d.get("files") or ()),
            tuple(Request(**r) for r in d.get("requests") or ()),
            tuple(d.get("config") or ()),
            tuple(Task(**t) for t in d.get("tasks") or ()),
            tuple(sorted((d.get("sockets") or {}).items())),
            tuple(Other(**o) for o in d.get("others") or ()),
            dict(d.get("params") or {}),
            d.get("files_after") or "",
        )


@dataclass(frozen=True)
class Lab:
    id: str
    title: Text
    summary: Text
    source: str
    checks: Path
    params: dict[str, str | dict[str, str]]  # instance, snapshot and its own; or one per backend
    record: Record = field(default_factory=Record)
    daemons: tuple[str, ...] = ()  # besides the primary, e.g. the snapshot server (schema.DAEMONS)
    host_files: tuple[str, ...] = ()  # one per machine, whichever daemon: runs take turns
    instances: tuple[str, ...] = ()  # the learner makes them (schema.RESOURCE_KEYS): "{copy}"
    chapter: int = 0  # the book's: labs are listed in the book's order
    steps: tuple[Step, ...] = field(default_factory=tuple)
    book_note: Text | None = None
    home: Path = Path()  # the root of its pack (snaplab/lab/packs.py): checks/, guides/captured/
    origin: str = "built-in"  # where `snaplab labs` says it comes from

    @property
    def max_score(self) -> int:
        return sum(s.points for s in self.steps)

    @property
    def instance(self) -> str:
        return str(self.params["instance"])

    @property
    def snapshot(self) -> str:
        return str(self.params.get("snapshot", ""))


def _t(d: dict[str, str]) -> Text:
    return Text(d["en"], d["ko"])


def _note(d: dict[str, str] | None) -> Text | None:
    return _t(d) if d else None


def _steps(doc: dict[str, Any]) -> tuple[Step, ...]:
    return tuple(
        Step(
            id=s["id"],
            points=s["points"],
            title=_t(s["title"]),
            why=_t(s["why"]),
            commands={
                b: tuple(
                    Command(
                        c["run"],
                        tuple(c.get("stdin", ())),
                        c.get("expect_failure"),
                        c.get("recorded", True),
                        c.get("saves"),
                        c.get("heredoc", False),
                    )
                    for c in cmds
                )
                for b, cmds in s["commands"].items()
            },
            passed=_t(s["pass"]),
            failed=_t(s["fail"]),
            hint=_t(s["hint"]),
            warning=bool(s.get("warning", False)),
            book_note=_note(s.get("book_note")),
            waits=int(s.get("waits", 0)),
            earlier=bool(s.get("earlier", False)),
            reasons={
                rid: Reason(_t(r["fail"]), _t(r["hint"]), tuple(r.get("names") or ()))
                for rid, r in (s.get("reasons") or {}).items()
            },
        )
        for s in doc["steps"]
    )


def problems(doc: Any, pack: Pack) -> list[str]:
    """Every error of a lab at once (`snaplab labs lint`): its schema first, then, once the
    steps can be read, a check for each step and the names its texts and commands use."""
    errors = validate(doc)
    if errors:
        return errors
    steps = _steps(doc)
    declared = {s.id: {r: set(x.names) for r, x in s.reasons.items()} for s in steps}
    checks = pack.root / "checks" / doc["checks"]
    found = coverage.problems([s.id for s in steps], checks, declared)
    return found + _unknown_names(doc, steps, dict(doc["parameters"]))


def parse(doc: dict[str, Any], where: str, pack: Pack | None = None) -> Lab:
    pack = pack or packs.packs()[0]
    errors = problems(doc, pack)
    if errors:
        raise SnaplabError(_invalid(where, errors), ExitCode.LAB_INVALID)
    steps = _steps(doc)
    checks = pack.root / "checks" / doc["checks"]
    params = dict(doc["parameters"])
    record = doc["record"]
    return Lab(
        id=doc["id"],
        title=_t(doc["title"]),
        summary=_t(doc["summary"]),
        source=doc["source"],
        checks=checks,
        params=params,
        record=Record(
            tuple(record.get("events") or ()),
            tuple(_filled(f, params) for f in record.get("files") or ()),  # the same on both
            tuple(Request(**r) for r in record.get("requests") or ()),
            tuple(record.get("config") or ()),
            tuple(Task(**t) for t in record.get("tasks") or ()),
            others=tuple(Other(**o) for o in record.get("others") or ()),
            files_after=record.get("files_after") or "",
            params=params,
        ),
        daemons=tuple((doc.get("resources") or {}).get("daemons") or ()),
        host_files=tuple(
            _filled(str(f), params) for f in (doc.get("resources") or {}).get("host_files") or ()
        ),
        instances=tuple((doc.get("resources") or {}).get("instances") or ()),
        chapter=int(doc.get("chapter", 0)),
        steps=steps,
        book_note=_note(doc.get("book_note")),
        home=pack.root,
        origin=pack.origin,
    )


def _unknown_names(
    doc: dict[str, Any], steps: tuple[Step, ...], params: dict[str, Any]
) -> list[str]:
    """A text or command naming a parameter the lab lacks would fail at grading, and a
    quoted command naming {snapshot} would split a learner's name with a quote: say it now.
    A recorded file is the same on both daemons, so it names only parameters that are."""
    known = set(params) | {"command"}
    same = {k for k, v in params.items() if isinstance(v, str)}
    others = set(command_names({s.id: "" for s in steps}))  # any step's command, for a reason
    found = []
    for step in steps:
        for rid, reason in step.reasons.items():
            where = f"steps.{step.id}.reasons.{rid}"
            mine = known | others | set(reason.names)
            for t in (reason.failed.en, reason.failed.ko, reason.hint.en, reason.hint.ko):
                found += [
                    f"{where}: {{{n}}} is not a parameter, a step's command or one of its names"
                    for n in _names(t) - mine
                ]
            found += [
                f"{where}: names {n} is a parameter already" for n in set(reason.names) & known
            ]
        commands = [c for cmds in step.commands.values() for c in cmds]
        texts = [step.passed.en, step.passed.ko, step.failed.en, step.failed.ko]
        texts += [step.hint.en, step.hint.ko]
        texts += [c.run for c in commands] + [s for c in commands for s in c.stdin]
        for t in texts:
            found += [f"steps.{step.id}: {{{n}}} is not a parameter" for n in _names(t) - known]
        shown = [step.title.en, step.title.ko, step.why.en, step.why.ko]  # once for both tabs
        shown += [step.book_note.en, step.book_note.ko] if step.book_note else []
        for t in shown:
            found += [
                f"steps.{step.id}: {{{n}}} in a title or note is never filled" for n in _names(t)
            ]
        for c in commands:
            if c.quoted and "snapshot" in _names(c.run):
                found.append(f"steps.{step.id}: a quoted command names {{snapshot}}: {c.run}")
            if c.saves and c.saves not in params:
                found.append(f"steps.{step.id}: saves {c.saves} is not a parameter")
    files = {
        "record.files": (doc.get("record") or {}).get("files") or [],
        "resources.host_files": (doc.get("resources") or {}).get("host_files") or [],
    }
    for key, paths in files.items():
        for f in paths:
            found += [f"{key}: {{{n}}} is not a parameter" for n in _names(str(f)) - same]
    for name in (doc.get("resources") or {}).get("instances") or []:  # filled per daemon
        found += [f"resources.instances: {{{n}}} is not a parameter" for n in _names(name) - known]
    record = doc.get("record") or {}
    named = {
        "record.requests": [str(r.get("path", "")) for r in record.get("requests") or []],
        "record.others": [str(o.get("name", "")) for o in record.get("others") or []],
    }
    for key, templates in named.items():  # filled per session: any parameter will do
        for t in templates:
            found += [f"{key}: {{{n}}} is not a parameter" for n in _names(t) - set(params)]
    return sorted(set(found))


# A lab's own placeholder: {name}, a parameter's spelling (schema.PARAMETER). Anything else,
# such as the Pongo2 template `{{ creation_date|date:'...' }}` the daemon expands itself, or
# a `{{name}}`, is the lab's text as written.
PLACEHOLDER = re.compile(r"(?<!\{)\{([a-z][a-z0-9_]*)\}(?!\})")


def _names(template: str) -> set[str]:
    return set(PLACEHOLDER.findall(template))


def _filled(template: str, params: Mapping[str, str]) -> str:
    return PLACEHOLDER.sub(lambda m: params.get(m.group(1), m.group(0)), template)


def lab_ids() -> list[str]:
    """In the book's order (a lab's `chapter`), then by id; labs of no chapter after the book's."""
    return sorted(packs.index(), key=_order)


def _order(lab_id: str) -> tuple[bool, int, str]:
    """Read without validating the whole lab: listing must not fail on one broken lab."""
    try:
        text_ = packs.index()[lab_id][1].read_text(encoding="utf-8")
        found = re.search(r"^chapter:\s*(\d+)", text_, re.M)
    except OSError:
        found = None
    chapter = int(found.group(1)) if found else 0
    return (not found, chapter, lab_id)


def load(lab_id: str) -> Lab:
    found = packs.index().get(lab_id) if NAME.match(lab_id) else None
    if found is None:
        raise SnaplabError(
            text("unknown_lab", lab=lab_id, known=", ".join(lab_ids())), ExitCode.USAGE
        )
    return load_file(found[1], found[0])


def load_file(path: Path, pack: Pack) -> Lab:
    return parse(read(path), str(path), pack)


def read(path: Path) -> Any:
    try:
        # libyaml's loader when present: the pure-Python one costs check ~50 ms a run
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
    except yaml.YAMLError as e:
        raise not_yaml(path, e, ExitCode.LAB_INVALID) from None
    return doc


# A snapshot name is free (the chapter says so): the daemons refuse only a slash, and the
# guide's commands are split on white space, so refuse those and let the daemon judge the rest.
SNAPSHOT_NAME = re.compile(r"^[^/\s]{1,200}$")


def check_snapshot_name(name: str) -> str:
    if not SNAPSHOT_NAME.match(name):
        raise SnaplabError(text("bad_snapshot_name", name=name), ExitCode.USAGE)
    return name


def _invalid(where: str, errors: list[str]) -> Text:
    """The schema's own words stay English: they name fields of the lab file, for its authors."""
    found = "; ".join(errors)
    return both(
        f"{where} is not a valid lab ({len(errors)} errors): {found}",
        f"{where}은(는) 올바른 실습 파일이 아닙니다(오류 {len(errors)}개): {found}",
    )


# what kind of name, in each language: "컨테이너 이름", not "instance 이름"
KINDS = {"instance": both("instance", "컨테이너"), "remote": both("remote", "원격")}


def check_name(name: str, what: str) -> str:
    if not NAME.match(name) or name.endswith("-"):
        kind = KINDS[what]
        en, ko = (
            text("bad_name", what=kind.en, name=name),
            text("bad_name", what=kind.ko, name=name),
        )
        raise SnaplabError(both(en.en, ko.ko), ExitCode.USAGE)
    return name


def placeholders(lab: Lab, backend: str, instance: str, snapshot: str) -> dict[str, str]:
    """What a lab's texts (messages, hints) may name: one set for `check`, pytest and the guide.

    The lab's parameters (a per-backend one as that daemon has it), with the learner's own
    instance and snapshot names; a parameter may name those two (the book's snapshot pattern
    begins with the container's name)."""
    return values(lab.params, backend, instance, snapshot)


def values(
    params: Mapping[str, str | dict[str, str]], backend: str, instance: str, snapshot: str
) -> dict[str, str]:
    """Parameters as one session has them: a per-backend one as that daemon has it, and the
    learner's own instance and snapshot names, which a parameter may name."""
    names = {"instance": instance, "snapshot": snapshot}
    fill = {k: v if isinstance(v, str) else v[backend] for k, v in params.items()}
    return {**{k: _filled(v, names) for k, v in fill.items()}, **names}


def declared_instances(lab: Lab, backend: str, instance: str) -> tuple[str, ...]:
    """The lab's `resources.instances` as this run names them (its --instance filled in)."""
    fill = placeholders(lab, backend, instance, lab.snapshot)
    return tuple(_filled(name, fill) for name in lab.instances)


def command_names(command_for: Mapping[str, str]) -> dict[str, str]:
    """Every step's command under a name a reason's text may use: `{command_container_stopped}`
    (a hint may ask for another step's command first: stop, then restore)."""
    return {f"command_{sid.replace('-', '_')}": cmd for sid, cmd in command_for.items()}


def fill(text: Text, params: dict[str, str]) -> Text:
    """A lab text with its placeholders filled: messages and hints, for `check` and the guide."""
    return Text(_filled(text.en, params), _filled(text.ko, params))


def render(command: Command, params: Mapping[str, str]) -> str:
    return _filled(command.run, params)


def render_stdin(command: Command, params: Mapping[str, str]) -> tuple[str, ...]:
    return tuple(_filled(s, params) for s in command.stdin)
