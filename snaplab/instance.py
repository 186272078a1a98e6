"""Reading and driving an instance over the REST API, the same way on LXD and Incus.

Exec goes through `record-output` instead of pylxd's `execute`, which polls
with a 0.1 s sleep and raises on exit codes 126/127 (host-facts.md): grading
makes many small reads, and a missing command is an answer, not a crash.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from pylxd import Client
from pylxd.exceptions import LXDAPIException, NotFound

LABEL = "user.snaplab.owner"  # the key that marks what snaplab created

# A files request that fails within this many seconds is asked again: a container stopping or
# starting as it is asked resets the daemon's file server, and that failure comes at once. One
# that fails slower is not: LXD 5.0.2 can leave a container's file server hung, and then every
# request fails after 10 to 15 s, so asking again only made the grade wait that long again.
RESET_S = 2.0

T = TypeVar("T")


def asked(
    ask: Callable[[], T], tries: int, errors: tuple[type[Exception], ...], pause: float = 0.0
) -> T | None:
    """`ask()`, a files request, asked again after a failure in `errors` that came within
    RESET_S, `tries` times in all; None: could not tell. (A 404 is an answer: `ask` says
    what it means before it reaches here.)"""
    for attempt in range(1, tries + 1):
        began = time.monotonic()
        try:
            return ask()
        except errors:
            if time.monotonic() - began > RESET_S or attempt == tries:
                return None
            time.sleep(pause)
    return None


@dataclass(frozen=True)
class ExecResult:
    rc: int
    stdout: str
    stderr: str


def node(client: Client, path: str) -> Any:
    """Turn a path the daemon returned (e.g. /1.0/instances/x/logs/y) into an API node."""
    node: Any = client.api
    for part in path.split("?")[0].strip("/").split("/")[1:]:
        node = node[part]
    return node


def wait(client: Client, response: Any, timeout: int = 600) -> dict[str, Any]:
    """Wait for the operation an async request returned; raise on its failure."""
    body = response.json()
    if body.get("type") == "error" or response.status_code >= 400:
        raise OperationFailed(body.get("error") or f"HTTP {response.status_code}")
    op = body.get("operation")
    if not op:
        return dict(body.get("metadata") or {})
    try:
        result = node(client, op).wait.get(params={"timeout": timeout}).json()
    except LXDAPIException as e:  # Incus answers a failed exec (e.g. exit 127) with an error
        raise OperationFailed(str(e)) from None
    meta = result.get("metadata") or {}
    if meta.get("status_code", 200) >= 400 or result.get("type") == "error":
        raise OperationFailed(meta.get("err") or result.get("error") or "operation failed")
    return dict(meta)


class OperationFailed(Exception):
    """The daemon refused or failed an operation; the text is the daemon's."""


def execute(client: Client, name: str, argv: list[str], timeout: int = 120) -> ExecResult:
    response = node(client, f"/1.0/instances/{name}/exec").post(
        json={
            "command": argv,
            "record-output": True,
            "wait-for-websocket": False,
            "interactive": False,
            "environment": {"HOME": "/root", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"},
        }
    )
    try:
        meta = wait(client, response, timeout)
    except OperationFailed as e:
        if "not found" in str(e).lower():  # the shell's answer for a missing command
            return ExecResult(127, "", str(e))
        raise
    inner = meta.get("metadata") or {}
    outputs = inner.get("output") or {}
    texts = []
    for fd in ("1", "2"):
        path = outputs.get(fd)
        # is_api=False: raw bytes; pylxd would parse an output such as "644" as JSON and fail
        texts.append(node(client, path).get(is_api=False).text if path else "")
        if path:
            node(client, path).delete()
    return ExecResult(int(inner.get("return", -1)), texts[0], texts[1])


def _files(client: Client, name: str, path: str, method: str, timeout: float | None) -> Any:
    """One request to the files API, raw: a HEAD is not among pylxd's verbs.

    404 raises NotFound, as pylxd's own verbs do."""
    return ask_files(node(client, f"/1.0/instances/{name}/files"), path, method, timeout)


def ask_files(
    files: Any, path: str, method: str, timeout: float | None = None, **extra: str
) -> Any:
    """`_files` on a files node already made (class grading's, in a learner's project).
    `extra`: more query words (the recorder's mark)."""
    params = {"path": path, **extra}
    if files._project is not None:  # as pylxd's verbs add it
        params["project"] = files._project
    response = files.session.request(
        method, files._api_endpoint, params=params, timeout=timeout or files._timeout
    )
    # is_api=False: a file holding "5" is content, not a malformed API answer
    files._assert_response(response, is_api=False)
    return response


@dataclass(frozen=True)
class FileInfo:
    """A path as the files API's headers describe it (its lstat): no command runs inside."""

    type: str  # file, directory or symlink (the daemon says "file" of a fifo or a device too)
    mode: int
    uid: int
    gid: int


def file_info(
    client: Client, name: str, path: str, timeout: float | None = None
) -> FileInfo | None:
    """The path's type, mode and owner from a HEAD (nothing read, a fifo never waited on);
    None when there is no such path. The header names are the Backend record's."""
    from snaplab.backends import get_backend

    try:
        response = _files(client, name, path, "HEAD", timeout)
    except NotFound:
        return None
    server = client.host_info["environment"].get("server", "lxd")
    said = response.headers
    prefix = get_backend(server).file_header

    def number(key: str, base: int = 10) -> int:
        try:
            return int(said.get(f"{prefix}-{key}", ""), base)
        except ValueError:
            return -1

    return FileInfo(said.get(f"{prefix}-Type", ""), number("Mode", 8), number("Uid"), number("Gid"))


def file_exists(client: Client, name: str, path: str, timeout: float | None = None) -> bool:
    """Through the files API, which also works on a stopped container and runs nothing in a
    running one (an exec would be an event of its own). A HEAD: nothing is read."""
    try:
        _files(client, name, path, "HEAD", timeout)
    except NotFound:
        return False
    return True


def file_read(client: Client, name: str, path: str, timeout: float | None = None) -> bytes:
    """A file's bytes (of a symlink: its target, as the daemon reads it without following)."""
    return bytes(_files(client, name, path, "GET", timeout).content)


def file_list(client: Client, name: str, path: str, timeout: float | None = None) -> list[str]:
    """A directory's entries, every one (dot files too), as the files API lists them."""
    return [str(n) for n in _files(client, name, path, "GET", timeout).json()["metadata"] or []]
