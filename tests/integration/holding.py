"""A unix-socket proxy in front of a real daemon that holds one request until released.

A race between two clients is a test only if the overlap happens every time. So
the first client talks to the daemon through this proxy (LXD_DIR / INCUS_DIR
pointing at its directory), which forwards every byte both ways but stops the
first request whose line matches `pattern` before the daemon sees it. The test
waits for `held`, does what must overlap, then `release()`s: the first client is
then exactly where the pattern says, every time, whatever the machine's load.
"""

from __future__ import annotations

import re
import socket
import threading
from pathlib import Path

HOLD_LIMIT = 300.0  # seconds a held request waits for release() before it goes on anyway


class HoldingProxy:
    def __init__(self, upstream: Path, directory: Path, pattern: bytes) -> None:
        self.upstream = upstream
        self.directory = directory
        self.pattern = re.compile(pattern, re.MULTILINE)
        self.held = threading.Event()  # the matching request arrived and is being held
        self._released = threading.Event()
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()
        directory.mkdir(parents=True, exist_ok=True)
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._listener.bind(str(directory / "unix.socket"))
        self._listener.listen(64)
        threading.Thread(target=self._accept, daemon=True).start()

    def release(self) -> None:
        self._released.set()

    def close(self) -> None:
        self._released.set()
        self._listener.close()
        with self._lock:
            for c in self._conns:
                c.close()

    def __enter__(self) -> HoldingProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            with self._lock:
                self._conns.append(client)
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        """Connect to the daemon only once the client has said something (and been let
        through): a daemon accepting a connection waits for its first bytes, and LXD 5.0
        answers no other client meanwhile."""
        try:
            first = client.recv(65536)
            if not first:
                return
            if self._should_hold(first):
                self._released.wait(HOLD_LIMIT)
            daemon = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            with self._lock:
                self._conns.append(daemon)
            daemon.connect(str(self.upstream))
            daemon.sendall(first)
        except OSError:
            client.close()
            return
        threading.Thread(target=self._pump, args=(daemon, client, False), daemon=True).start()
        self._pump(client, daemon, True)

    def _pump(self, src: socket.socket, dst: socket.socket, requests: bool) -> None:
        try:
            while data := src.recv(65536):
                if requests and self._should_hold(data):
                    self._released.wait(HOLD_LIMIT)
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def _should_hold(self, data: bytes) -> bool:
        """Only the first match is held: one moment of the client's work, not all later ones."""
        with self._lock:
            if self.held.is_set() or not self.pattern.search(data):
                return False
            self.held.set()
            return True
