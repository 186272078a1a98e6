"""What the doctor's checks ask a host and its daemon, each question asked once per run.

The host is read through `Context.host`, a testinfra host, so the same checks run on this
machine for `snaplab doctor` and over ssh for `pytest checks/test_host.py --hosts=ssh://...`.
A check that needs the API asks `Context`, which asks the daemon once; if that failed, the
check is SKIPped with the reason (`Skip`), so a broken host still gets a full, useful report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from snaplab import instance
from snaplab.backends import Backend
from snaplab.doctor import hostview
from snaplab.doctor.results import Status
from snaplab.errors import SnaplabError
from snaplab.i18n import Text, both, same
from snaplab.remotes import CertificateMismatch
from snaplab.transports import Connection, Target, connect

Outcome = tuple[Status, Text, Text]
NONE = same("")  # no fix to offer


class Skip(Exception):
    """This check cannot be asked: an earlier one failed."""

    def __init__(self, why: Text) -> None:
        super().__init__(why.en)
        self.why = why


UNREACHABLE = both(
    "skipped: the API cannot be reached (see above)",
    "건너뜀: API에 연결할 수 없습니다(위 참고)",
)


def local_host() -> Any:
    import testinfra

    return testinfra.get_host("local://")


@dataclass
class Context:
    backend: Backend
    target: Target
    size_mib: int = 0  # --size: also measure a container filled to this size
    pool: str | None = None  # --pool: measure there instead of the default profile's pool
    timings: dict[str, dict[str, float]] = field(default_factory=dict)
    host: Any = field(default_factory=local_host)  # testinfra host the checks read
    _conn: Connection | None = None
    _error: SnaplabError | None = None  # why the pylxd connection failed
    unreachable: SnaplabError | None = None  # why the daemon could not be asked
    _answers: dict[str, Any] = field(default_factory=dict)

    @property
    def conn(self) -> Connection:
        if self._conn is None and self._error is None:
            try:
                self._conn = connect(self.target)
            except CertificateMismatch:
                raise  # not a finding: nothing may be asked of an impostor
            except SnaplabError as e:
                self._error = e
        if self._error is not None:
            raise Skip(UNREACHABLE)
        assert self._conn is not None
        return self._conn

    @property
    def socket(self) -> str:
        """The daemon's socket on the checked host (its LXD_DIR / INCUS_DIR, not ours)."""
        if "socket" not in self._answers:
            self._answers["socket"] = hostview.socket_path(self.host, self.backend)
        return str(self._answers["socket"])

    def socket_state(self) -> str:
        if "socket-state" not in self._answers:
            self._answers["socket-state"] = hostview.socket_state(self.host, self.socket)
        return str(self._answers["socket-state"])

    def info(self) -> dict[str, Any]:
        """The daemon's /1.0, asked once: over HTTPS for a remote, else through the host's
        client. Skip (with `unreachable` set) when the daemon cannot be asked."""
        if "/1.0" not in self._answers:
            if self.target.url:
                try:
                    self._answers["/1.0"] = self.conn.client.host_info
                except Skip:
                    self.unreachable = self._error
                    raise
            elif self.unreachable is None:
                try:
                    if self.socket_state() != hostview.OK:
                        raise hostview.unreachable(
                            self.host, self.backend, self.socket, self.socket_state()
                        )
                    self._answers["/1.0"] = hostview.info(
                        self.host, self.backend, self.target.project
                    )
                except SnaplabError as e:
                    self.unreachable = e
            if self.unreachable is not None:
                raise Skip(UNREACHABLE)
        return dict(self._answers["/1.0"])

    def get(self, path: str) -> Any:
        """GET with recursion=1: one round-trip per question, asked once per run (the
        probes ask again what the checks before them asked: the answer has not changed)."""
        if path not in self._answers:
            self.info()  # Skip: the daemon cannot be asked
            if self.target.url:
                node = instance.node(self.conn.client, path)
                self._answers[path] = node.get(params={"recursion": 1}).json()["metadata"]
            else:
                self._answers[path] = hostview.query(
                    self.host, self.backend, f"{path}?recursion=1", self.target.project
                )
        return self._answers[path]
