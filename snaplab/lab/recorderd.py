"""The recorder process itself (`python -m snaplab.lab.recorderd`, started by recorder.spawn).

It listens to the daemon's streams (snaplab/lab/stream.py) and answers `check` and `watch`
on its socket (snaplab/lab/channel.py), which grades with the runner. Its own module, above
them: the runner starts and stops recorders through snaplab/lab/recorder.py, which therefore
imports none of what the process runs.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
import warnings
from pathlib import Path

from snaplab.lab import channel
from snaplab.lab.journal import Session, now
from snaplab.lab.model import Record
from snaplab.lab.recorder import PROCESS, serves
from snaplab.lab.stream import Fanout, daemon_logs, listen, member_logs
from snaplab.remotes import CertificateMismatch


def main(argv: list[str] | None = None) -> int:
    warnings.filterwarnings("ignore", category=UserWarning)
    p = argparse.ArgumentParser(prog=PROCESS)
    p.add_argument("--sessions", required=True, help="JSON: what to record, and the sessions")
    p.add_argument("--shared", action="store_true", help="listen to all projects")
    a = p.parse_args(argv)
    spec = json.loads(Path(a.sessions).read_text())
    sessions = [Session(**s) for s in spec["sessions"]]
    record = Record.from_dict(spec["record"])
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    me = os.getpid()
    # `check` and `watch` ask here first (snaplab/lab/channel.py); without it they still work
    server = channel.Server(sessions, lambda s: serves(s, me))
    server.start()
    fanout = Fanout(sessions, record, server.notify, server.heard)
    try:
        if a.shared:
            member_logs(sessions, record, server.notify)
        daemon_logs(sessions, record, server.notify)  # the other daemons a request names
        while True:  # a restarted daemon closes the socket: reconnect
            try:
                listen(sessions, fanout, a.shared)
            except SystemExit:
                return 0
            except CertificateMismatch as e:
                # not the pinned server: asking again cannot change that, only `snaplab remote
                # add` can, and whoever started us is waiting to hear it now, not in a minute
                print(f"{now()} recorder: {e}", file=sys.stderr, flush=True)
                return int(e.code)
            except Exception as e:  # noqa: BLE001 - logged, then retried
                print(f"{now()} recorder: {e}", file=sys.stderr, flush=True)
                time.sleep(0.2)  # the daemon is away: not a busy loop
            # a stream the daemon closed is reopened at once: what happens meanwhile is lost
    finally:
        fanout.close()
        server.close()


if __name__ == "__main__":
    raise SystemExit(main())
