"""One `snaplab start` at a time per session, so a second one waits instead of racing.

Two terminals that run `snaplab start` together would otherwise both ask the
daemon to create (or start) the same container, and the later one is refused
("busy running a create operation"). The lock is an exclusive `flock` on a file
in the session's own state directory: the second start waits until the first is
done, then finds the container it made. Closing the file releases the lock, so
a start that is killed never leaves it held; the file is opened close-on-exec,
so the recorder that start spawns does not inherit it.
"""

from __future__ import annotations

import fcntl
import os
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
