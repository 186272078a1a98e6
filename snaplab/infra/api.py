"""One testinfra backend class for both daemons: every difference is in the Backend record
(snaplab/backends) and in the transport (socket or HTTPS), never here."""

from __future__ import annotations

from typing import Any

from testinfra.backend import base

from snaplab import instance


class ApiBackend(base.BaseBackend):
    """Commands run through the REST API's exec (record-output), as `lxc exec` does.

    `client` lets snaplab's own checks reuse the connection they hold; `mark` is appended
    as `$0` of every command so the recorder can tell a check's reads from the learner's.
    """

    NAME = ""
    DAEMON = ""  # the Backend record's name: lxd or incus

    def __init__(
        self,
        name: str,
        *args: Any,
        client: Any = None,
        project: str | None = None,
        remote: str | None = None,
        mark: str = "snaplab-host",
        **kwargs: Any,
    ) -> None:
        self.name = name
        self._client = client
        self.project = project
        self.remote = remote
        self.mark = mark
        super().__init__(name, *args, **kwargs)

    def get_pytest_id(self) -> str:
        """The spec as typed, so two projects' containers of one name stay two test ids."""
        query = "&".join(
            f"{k}={v}" for k, v in (("project", self.project), ("remote", self.remote)) if v
        )
        return f"{self.NAME}://{self.name}" + (f"?{query}" if query else "")

    @property
    def client(self) -> Any:
        """Connected on first use: collecting tests must not need the daemon."""
        if self._client is None:
            from snaplab import remotes
            from snaplab.transports import Target, connect

            stored = remotes.find(self.remote) if self.remote else None
            target = Target(
                self.DAEMON,
                stored.url if stored else None,
                self.project or (stored.project if stored else "default"),
            )
            self._client = connect(target).client
        return self._client

    def run(self, command: str, *args: str, **kwargs: Any) -> base.CommandResult:
        cmd = self.get_command(command, *args)
        done = instance.execute(self.client, self.name, ["/bin/sh", "-c", cmd, self.mark])
        return self.result(done.rc, self.encode(cmd), done.stdout, done.stderr)


class LxdBackend(ApiBackend):
    NAME = DAEMON = "lxd"


class IncusBackend(ApiBackend):
    NAME = DAEMON = "incus"
