"""`check` answered by the session's recorder over its socket grades exactly as in-process.

Same lab state, asked both ways one after the other: the JSON field by field, the
exit code, and the text in both languages. The recorder path is proved taken by
what the client imported (no pylxd, no pytest); SNAPLAB_NO_RECORDER_CHECK=1 forces
the in-process path. A bad request never stops the recorder.
"""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from snaplab.lab import channel, recorder
from tests.conftest import ROOT
from tests.integration.learner import Learner
from tests.integration.test_lab_cycle import CHAPTER

pytestmark = pytest.mark.integration

BACKENDS = ["lxd", "incus"]
HEAVY = ("pylxd", "pytest", "_pytest", "testinfra")


def ask(me: Learner, *args: str, in_process: bool) -> tuple[int, str, str, set[str]]:
    """`snaplab check snapshots …` in a fresh interpreter: exit code, stdout, stderr, imports."""
    env = {**os.environ, **me.env, "PYTHONPATH": str(ROOT)}
    env.pop(channel.NO_RECORDER, None)
    if in_process:
        env[channel.NO_RECORDER] = "1"
    argv = [sys.executable, "-X", "importtime", "-m", "snaplab", "check", "snapshots"]
    argv += ["--backend", me.backend, "--instance", me.instance, *args]
    done = subprocess.run(argv, capture_output=True, text=True, env=env, cwd="/tmp", timeout=120)
    imported = {
        line.rsplit("|", 1)[-1].strip().split(".")[0]
        for line in done.stderr.splitlines()
        if line.startswith("import time:")
    }
    err = "\n".join(line for line in done.stderr.splitlines() if not line.startswith("import"))
    assert "Traceback" not in err, err
    return done.returncode, done.stdout, err, imported


def same_both_ways(me: Learner, *args: str) -> tuple[int, str, str]:
    fast_rc, fast_out, fast_err, fast_imports = ask(me, *args, in_process=False)
    slow_rc, slow_out, slow_err, slow_imports = ask(me, *args, in_process=True)
    assert not fast_imports & set(HEAVY), f"the socket path imported {fast_imports & set(HEAVY)}"
    assert {"pylxd", "pytest"} <= slow_imports  # the in-process path really was taken
    assert fast_rc == slow_rc != 2, (fast_out, fast_err, slow_out, slow_err)
    assert fast_err == slow_err
    if "--json" in args and fast_out:
        a, b = json.loads(fast_out), json.loads(slow_out)
        assert a.keys() == b.keys()
        for key in a:
            assert a[key] == b[key], key
    assert fast_out == slow_out
    return fast_rc, fast_out, fast_err


def all_ways(me: Learner) -> int:
    rc, _, _ = same_both_ways(me, "--json")
    for lang in ("en", "ko"):
        assert same_both_ways(me, "--lang", lang)[0] == rc
    return rc


def poke(path: Path, payload: bytes) -> bytes:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(10)
    with sock, channel._address(path) as where:
        sock.connect(where)
        try:
            sock.sendall(payload)
            sock.shutdown(socket.SHUT_WR)
            return sock.recv(65536)
        except OSError:
            return b""


@pytest.mark.parametrize("backend", BACKENDS)
def test_recorder_and_in_process_grade_alike(backend, tmp_path):
    me = Learner(backend, f"sock-{backend}", tmp_path)
    with me.started():
        path = me.journal().parent / channel.NAME  # under the learner's XDG_STATE_HOME
        mode = os.stat(path)
        assert stat.S_ISSOCK(mode.st_mode) and stat.S_IMODE(mode.st_mode) == 0o600
        assert mode.st_uid == os.getuid()

        assert all_ways(me) == 1  # nothing done yet: a hint, pending steps
        for i, (command, stdin, recorded, ok) in enumerate(CHAPTER[backend]):
            me.type(command.replace("ubuntu-test", me.instance), stdin, recorded, ok)
            if i == 2:  # half way: passes, a fail with its hint, pendings
                assert all_ways(me) == 1
        assert all_ways(me) == 0  # solved

        # a bad request is answered or dropped, never the recorder's end
        pid = int((path.parent / "recorder.pid").read_text())
        for junk in (
            b"",
            b"\n",
            b"not json\n",
            b"[1, 2]\n",
            b'{"v": 99, "op": "check"}\n',
            b'{"v": 1, "op": "rm -rf", "session": {}}\n',
            b'{"v": 1, "op": "check", "session": {"lab": "x"}}\n',
            b"\xff\xfe\n",
            b"x" * (channel.MAX_LINE + 10),
        ):
            reply = poke(path, junk)
            assert b'"ok": true' not in reply, (junk[:40], reply)
        assert recorder.is_recorder(pid)
        rc, out, _ = same_both_ways(me, "--json")
        assert rc == 0 and json.loads(out)["complete"]

        # an error the recorder meets is said, and exits, as in-process
        cli = me.cli
        subprocess.run([cli, "config", "set", me.instance, "security.protection.delete=false"])
        subprocess.run([cli, "delete", "--force", me.instance], check=True)
        rc, _, err = same_both_ways(me, "--json")
        assert rc == 5 and "is gone" in err
        rc, _, err = same_both_ways(me, "--lang", "ko")
        assert rc == 5 and "없습니다" in err
