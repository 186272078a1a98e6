"""One `snaplab start` at a time per container, so two never race on the daemon.

Two terminals that run `snaplab start` together would otherwise both ask the
daemon to create (or start) the same container, and the later one is refused
("busy running a create operation"). The lock is an exclusive `flock` on a file
in the session's own state directory: the second start waits until the first is
done, then finds the container it made. Closing the file releases the lock, so
a start that is killed never leaves it held; the file is opened close-on-exec,
so the recorder that start spawns does not inherit it.

A start from another state directory (another user, or XDG_STATE_HOME set
otherwise) cannot share that file, and must not wait: it is not this
learner's. It meets the first on the daemon instead, at any moment of the
first's create or start, and the daemon's refusal then depends on that
moment. So every start also holds a machine-wide name for the container
while it works (`machine_wide`): an abstract unix socket, which any user may
bind, only one process at a time, and the kernel frees when that process
ends, however it ends.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from snaplab.errors import SnaplabError


@contextmanager
def exclusive(
    path: Path, timeout: float, busy: Callable[[], SnaplabError], step: float = 0.05
) -> Iterator[None]:
    """Hold an exclusive lock on `path` for the block; wait up to `timeout` seconds for it.

    If another holder keeps it longer, raise `busy()`: the caller says what is
    running and what to do. Ctrl-C while waiting interrupts the wait as usual.
    """
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise busy() from None
                time.sleep(step)
        yield
    finally:
        os.close(fd)  # releases the lock


@contextmanager
def machine_wide(key: str, busy: Callable[[], SnaplabError]) -> Iterator[None]:
    """Hold the machine-wide name `key` for the block, or raise `busy()` at once if another
    process holds it. Abstract names are per network namespace: a container's own shell
    would not see this one, which is fine, as a start runs on the host."""
    name = "\0snaplab-" + hashlib.sha256(key.encode()).hexdigest()[:40]
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)  # not inherited by children
    try:
        sock.bind(name)
    except OSError as e:
        sock.close()
        if e.errno == errno.EADDRINUSE:
            raise busy() from None
        raise
    try:
        yield
    finally:
        sock.close()
