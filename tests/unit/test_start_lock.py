"""The lock that makes a second `snaplab start` wait for the first (snaplab/lab/lock.py).

flock locks belong to an open file description, so two `exclusive` blocks in one
process exclude each other just as two processes do.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import uuid

import pytest

from snaplab.errors import ExitCode, SnaplabError
from snaplab.lab.lock import exclusive, machine_wide
from tests.conftest import ROOT


def busy() -> SnaplabError:
    return SnaplabError("a start is already running", ExitCode.CONFLICT)


def test_a_second_holder_is_refused_while_the_first_holds(tmp_path):
    path = tmp_path / "start.lock"
    with exclusive(path, 0, busy):
        with pytest.raises(SnaplabError) as caught:
            with exclusive(path, 0, busy):
                pytest.fail("two holders at once")
        assert caught.value.code == ExitCode.CONFLICT
    with exclusive(path, 0, busy):  # released on leaving the block
        pass


def test_released_when_the_block_raises(tmp_path):
    path = tmp_path / "start.lock"
    with pytest.raises(RuntimeError):
        with exclusive(path, 0, busy):
            raise RuntimeError("start failed")
    with exclusive(path, 0, busy):
        pass


def test_a_waiter_gets_the_lock_once_the_holder_lets_go(tmp_path):
    path = tmp_path / "start.lock"
    order: list[str] = []
    holding, done = threading.Event(), threading.Event()

    def first() -> None:
        with exclusive(path, 0, busy):
            order.append("first in")
            holding.set()
            done.wait()
            order.append("first out")

    t = threading.Thread(target=first)
    t.start()
    holding.wait()
    waiter = threading.Thread(target=lambda: _second(path, order))
    waiter.start()
    done.set()  # the waiter may only get in after this
    waiter.join()
    t.join()
    assert order == ["first in", "first out", "second in"]


def _second(path, order: list[str]) -> None:
    with exclusive(path, 600, busy, step=0.01):
        order.append("second in")


def test_a_child_process_does_not_inherit_the_lock(tmp_path):
    """start spawns the recorder while holding the lock: the recorder must not keep it."""
    path = tmp_path / "start.lock"
    with exclusive(path, 0, busy):
        child = subprocess.Popen(
            [sys.executable, "-c", "import sys; print('up', flush=True); sys.stdin.read()"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            close_fds=False,  # even then: the lock file is close-on-exec
        )
    try:
        # once it runs Python the exec is complete, and with it the close-on-exec
        assert child.stdout is not None and child.stdout.readline() == "up\n"
        with exclusive(path, 0, busy):
            assert child.poll() is None  # the child lives on, the lock is free
    finally:
        assert child.stdin is not None and child.stdout is not None
        child.stdin.close()
        child.wait()
        child.stdout.close()


# machine_wide: the name every start of one container holds, from any state directory


def test_a_machine_wide_name_is_refused_at_once_while_another_holds_it():
    key = f"test/{uuid.uuid4()}"
    with machine_wide(key, busy):
        with pytest.raises(SnaplabError) as caught:
            with machine_wide(key, busy):
                pytest.fail("two holders at once")
        assert caught.value.code == ExitCode.CONFLICT
        with machine_wide(f"{key}/other", busy):  # another container's start is not held up
            pass
    with machine_wide(key, busy):  # released on leaving the block
        pass


def test_a_machine_wide_name_is_freed_when_its_holder_is_killed():
    """A start killed with -9 never leaves the container locked: the kernel frees the name."""
    key = f"test/{uuid.uuid4()}"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys\nfrom snaplab.lab.lock import machine_wide\n"
            f"with machine_wide({key!r}, lambda: RuntimeError()):\n"
            "    print('held', flush=True); sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},  # this checkout's snaplab
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        with pytest.raises(SnaplabError):  # another process's hold counts too
            with machine_wide(key, busy):
                pass
    finally:
        holder.kill()
        holder.wait()
        assert holder.stdin is not None and holder.stdout is not None
        holder.stdin.close()
        holder.stdout.close()
    with machine_wide(key, busy):
        pass
