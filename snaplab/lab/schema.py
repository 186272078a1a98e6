"""The lab file schema, and a validator that reports every error at once.

Small on purpose (no jsonschema dependency): a lab is a mapping of known keys,
texts in both languages, and an ordered list of steps with commands for both
daemons. Errors carry a path such as `steps[2].hint.ko`.
"""

from __future__ import annotations

import re
from typing import Any

from snaplab import daemons
from snaplab.backends import NAMES
from snaplab.lab import actions

ID = re.compile(r"^[a-z][a-z0-9-]{0,62}$")
LANGS = ("en", "ko")
BACKENDS = NAMES
TEXT = "text"  # a mapping with a non-empty string per language

LAB_KEYS: dict[str, Any] = {
    "id": str,
    "title": TEXT,
    "summary": TEXT,
    "source": str,
    "checks": str,
    "parameters": dict,
    "record": dict,
    "steps": list,
}
# How the book differs from what works today: shown as a note on the guide page.
# chapter: the book's, so labs are listed in the book's order
OPTIONAL_LAB_KEYS: dict[str, Any] = {"book_note": TEXT, "resources": dict, "chapter": int}
STEP_KEYS: dict[str, Any] = {
    "id": str,
    "points": int,
    "title": TEXT,
    "why": TEXT,
    "commands": dict,
    "pass": TEXT,
    "fail": TEXT,
    "hint": TEXT,
}
# waits: seconds the daemon may take to finish the step on its own (a schedule), after its
# commands; `solve` and the guide capture check until it passes
# earlier: done before this run may be (chapter 10's remote, from chapter 9; chapter 9's own
# trust and remote, which finish leaves, in a second run): solve skips the lab's first such
# steps when all of them pass
OPTIONAL_STEP_KEYS: dict[str, Any] = {
    "warning": bool,
    "book_note": TEXT,
    "waits": int,
    "earlier": bool,
    "reasons": dict,
}
# reasons: a step's specific ways to fail, by id, each its own text and hint; `names` are the
# placeholders its check passes (`step.fails("renamed", current="gold")`)
REASON_KEYS: dict[str, Any] = {"fail": TEXT, "hint": TEXT}
OPTIONAL_REASON_KEYS: dict[str, Any] = {"names": list}
# heredoc: stdin is a file's text, shown as `run <<'EOF'` ... `EOF` (a script written with sudo tee)
COMMAND_KEYS = {
    "run": str,
    "stdin": list,
    "expect_failure": str,
    "recorded": bool,
    "saves": str,
    "heredoc": bool,
}
RECORD_KEYS: dict[str, Any] = {
    "events": list,
    "files": list,
    "files_after": str,
    "config": list,
    "requests": list,
    "tasks": list,
    "others": list,
}
# others: lifecycle events of resources besides the lab instance; no name: any of that kind
OTHER_KEYS: dict[str, Any] = {"action": str}
OPTIONAL_OTHER_KEYS: dict[str, Any] = {"name": str}
# host_files: paths on this machine the learner writes whatever the daemon (chapter 10's
# script): one machine holds one, so the LXD and Incus runs of such a lab take turns
# instances: names ("{copy}", filled as the commands are, with the learner's --instance) of
# instances the learner makes, on the primary in the lab's project or on a daemon of
# `daemons`. Declaring one means: a fresh `start` refuses (exit 6, one line) while one of
# that name is there from before, as its step would fail on it later ("already exists");
# `finish` removes it when it carries the run's label, as it removes any instance that
# does, and names it as left, in both languages, when it does not (never snaplab's to remove)
RESOURCE_KEYS: dict[str, Any] = {"daemons": list, "host_files": list, "instances": list}
DAEMONS = daemons.NAMES  # besides the primary: the registry in snaplab/daemons
REQUEST_KEYS: dict[str, Any] = {"name": str, "method": str, "path": str}
OPTIONAL_REQUEST_KEYS: dict[str, Any] = {"query": str, "daemon": str}  # no query: any query
TASK_KEYS: dict[str, Any] = {"name": str, "description": str, "action": str}
PARAMETER = re.compile(r"^[a-z][a-z0-9_]{0,30}$")


def _parameters(doc: Any, errors: list[str]) -> None:
    params = doc.get("parameters")
    if not isinstance(params, dict):
        return
    if not isinstance(params.get("instance"), str):
        errors.append("parameters.instance: missing (the lab instance's default name)")
    for key, value in params.items():
        if not isinstance(key, str) or not PARAMETER.match(key):
            errors.append(f"parameters.{key}: must be lower-case letters, digits and _")
        elif isinstance(value, dict):  # one value per daemon, e.g. the book's remote names
            if set(value) != set(BACKENDS) or not all(isinstance(v, str) for v in value.values()):
                errors.append(f"parameters.{key}: must map each of {', '.join(BACKENDS)} to str")
        elif not isinstance(value, str):
            errors.append(f"parameters.{key}: must be str, or map each backend to str")


def _resources(doc: Any, errors: list[str]) -> None:
    found = doc.get("resources")
    if not isinstance(found, dict) or not _fields(found, {}, RESOURCE_KEYS, "resources", errors):
        return
    for i, name in enumerate(found.get("daemons") or []):
        if name not in DAEMONS:
            errors.append(f"resources.daemons[{i}]: {name!r} is not one of {', '.join(DAEMONS)}")
    for i, name in enumerate(found.get("instances") or []):
        if not isinstance(name, str) or not name:
            errors.append(f"resources.instances[{i}]: must be a non-empty string")


def _record(doc: Any, errors: list[str]) -> None:
    record = doc.get("record")
    if not isinstance(record, dict) or not _fields(record, {}, RECORD_KEYS, "record", errors):
        return
    for key in ("events", "files", "config"):
        for i, value in enumerate(record.get(key) or []):
            if not isinstance(value, str) or not value:
                errors.append(f"record.{key}[{i}]: must be a non-empty string")
            elif key == "events" and actions.problem(value):
                errors.append(f"record.events[{i}]: {actions.problem(value)}")
    after = record.get("files_after")
    if isinstance(after, str) and after not in (record.get("events") or []):
        errors.append(f"record.files_after: {after!r} is not in record.events")
    if after is not None and not record.get("files"):
        errors.append("record.files_after: there are no record.files to look at after it")
    for i, other in enumerate(record.get("others") or []):
        where = f"record.others[{i}]"
        if _fields(other, OTHER_KEYS, OPTIONAL_OTHER_KEYS, where, errors):
            action = other.get("action")
            if isinstance(action, str) and actions.problem(action):
                errors.append(f"{where}.action: {actions.problem(action)}")
            if other.get("name") == "{instance}":  # would never match: it is events' to record
                errors.append(f"{where}.name: the lab instance's events go in record.events")
    resources = doc.get("resources")
    declared = resources.get("daemons") if isinstance(resources, dict) else None
    declared = declared if isinstance(declared, list) else []
    for i, request in enumerate(record.get("requests") or []):
        where = f"record.requests[{i}]"
        if not _fields(request, REQUEST_KEYS, OPTIONAL_REQUEST_KEYS, where, errors):
            continue
        daemon = request.get("daemon")
        if isinstance(daemon, str) and daemon not in declared:
            errors.append(f"{where}.daemon: {daemon!r} is not in resources.daemons")
    names: set[Any] = set()
    for i, task in enumerate(record.get("tasks") or []):
        where = f"record.tasks[{i}]"
        if not _fields(task, TASK_KEYS, {}, where, errors):
            continue
        action = task.get("action")
        if isinstance(action, str) and action not in (record.get("events") or []):
            errors.append(f"{where}.action: {action!r} is not in record.events")
        name = task.get("name")
        if isinstance(name, str) and name in names:
            errors.append(f"{where}.name: duplicate task name {name!r}")
        names.add(name if isinstance(name, str) else None)


def _reasons(step: dict[str, Any], path: str, errors: list[str]) -> None:
    reasons = step.get("reasons")
    if not isinstance(reasons, dict):
        return
    for rid, reason in reasons.items():
        where = f"{path}.reasons.{rid}"
        if not isinstance(rid, str) or not ID.match(rid):
            errors.append(f"{where}: a reason id must be lower-case letters, digits and dashes")
        if not _fields(reason, REASON_KEYS, OPTIONAL_REASON_KEYS, where, errors):
            continue
        for i, name in enumerate(reason.get("names") or []):
            if not isinstance(name, str) or not PARAMETER.match(name):
                errors.append(f"{where}.names[{i}]: must be lower-case letters, digits and _")


def _text(value: Any, path: str, errors: list[str]) -> None:
    if not isinstance(value, dict):
        errors.append(f"{path}: must map en and ko to text")
        return
    for lang in LANGS:
        if not isinstance(value.get(lang), str) or not value[lang].strip():
            errors.append(f"{path}.{lang}: missing")
    for extra in set(value) - set(LANGS):
        errors.append(f"{path}.{extra}: unknown language")


def _fields(
    doc: Any, spec: dict[str, Any], optional: dict[str, Any], path: str, errors: list[str]
) -> bool:
    if not isinstance(doc, dict):
        errors.append(f"{path or 'lab'}: must be a mapping")
        return False
    for key, kind in {**spec, **optional}.items():
        where = f"{path}.{key}" if path else key
        if key not in doc:
            if key in spec:
                errors.append(f"{where}: missing")
        elif kind == TEXT:
            _text(doc[key], where, errors)
        elif not isinstance(doc[key], kind) or (kind is int and isinstance(doc[key], bool)):
            errors.append(f"{where}: must be {kind.__name__}")
    for key in set(doc) - set(spec) - set(optional):
        errors.append(f"{path}.{key}: unknown key" if path else f"{key}: unknown key")
    return True


def validate(doc: Any) -> list[str]:
    errors: list[str] = []
    if not _fields(doc, LAB_KEYS, OPTIONAL_LAB_KEYS, "", errors):
        return errors
    _parameters(doc, errors)
    _record(doc, errors)
    _resources(doc, errors)
    if isinstance(doc.get("id"), str) and not ID.match(doc["id"]):
        errors.append("id: must be lower-case letters, digits and dashes")
    seen: set[str] = set()
    for i, step in enumerate(doc.get("steps") or []):
        path = f"steps[{i}]"
        if not _fields(step, STEP_KEYS, OPTIONAL_STEP_KEYS, path, errors):
            continue
        sid = step.get("id")
        if isinstance(sid, str):
            if not ID.match(sid):
                errors.append(f"{path}.id: must be lower-case letters, digits and dashes")
            if sid in seen:
                errors.append(f"{path}.id: duplicate step id {sid!r}")
            seen.add(sid)
        _reasons(step, path, errors)
        if isinstance(step.get("points"), int) and step["points"] < 0:
            errors.append(f"{path}.points: must not be negative")
        commands = step.get("commands")
        if isinstance(commands, dict):
            for backend in BACKENDS:
                if not commands.get(backend):
                    errors.append(f"{path}.commands.{backend}: missing")
                    continue
                for j, cmd in enumerate(commands[backend]):
                    _fields(
                        cmd, {"run": str}, COMMAND_KEYS, f"{path}.commands.{backend}[{j}]", errors
                    )
            for extra in set(commands) - set(BACKENDS):
                errors.append(f"{path}.commands.{extra}: unknown backend")
    if isinstance(doc.get("steps"), list) and not doc["steps"]:
        errors.append("steps: a lab needs at least one step")
    return errors
