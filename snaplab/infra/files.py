"""`host.file(PATH)` on an `lxd://` or `incus://` host, answered by the daemon's files API.

testinfra's own file module runs a command in the container for every question (`test -e`,
`stat -Lc %a`, `cat`), and first four more to learn the OS. In a lab each of those is an
exec: an event the recorder writes down, and a round trip or five. The files API answers
most questions without running anything, on a stopped container too: whether a path exists
and what it is (a HEAD, nothing read), its mode and owner (the X-LXD-* or X-Incus-* headers,
named in the Backend record), a file's bytes, a directory's entries. What it cannot answer
(a fifo or a socket, a grep, mtime, a resolved path) is asked as testinfra asks it.

Like `test -e` and `stat -L`, a symbolic link is followed (`is_symlink` alone does not).
"""

from __future__ import annotations

import hashlib
import posixpath
from typing import Any

from testinfra.modules.file import GNUFile

from snaplab import instance as api

LINKS = 40  # as the kernel's limit: a loop of links is no file


class ApiFile(GNUFile):
    """GNUFile, with every question the files API can answer asked there."""

    _host: Any

    @property
    def _where(self) -> tuple[Any, str]:
        backend = self._host.backend
        return backend.client, backend.name

    def _lstat(self, path: str) -> api.FileInfo | None:
        client, name = self._where
        return api.file_info(client, name, path)

    def _resolved(self) -> tuple[str, api.FileInfo] | None:
        """The path with its links followed, and what is there; None: nothing (or a loop)."""
        path = self.path
        for _ in range(LINKS):
            info = self._lstat(path)
            if info is None or info.type != "symlink":
                return (path, info) if info is not None else None
            client, name = self._where
            target = api.file_read(client, name, path).decode("utf-8", "surrogateescape")
            path = posixpath.normpath(posixpath.join(posixpath.dirname(path), target))
        return None

    def _stat(self) -> api.FileInfo:
        found = self._resolved()
        if found is None:
            raise RuntimeError(f"{self.path}: no such file or directory")
        return found[1]

    @property
    def exists(self) -> bool:
        return self._resolved() is not None

    @property
    def is_file(self) -> bool:
        """A regular file, as far as the daemon tells: it calls a fifo or a device a file too."""
        found = self._resolved()
        return found is not None and found[1].type == "file"

    @property
    def is_directory(self) -> bool:
        found = self._resolved()
        return found is not None and found[1].type == "directory"

    @property
    def is_symlink(self) -> bool:
        info = self._lstat(self.path)
        return info is not None and info.type == "symlink"

    @property
    def is_executable(self) -> bool:
        """As `test -x` answers root, who runs the container's commands: any x bit, or a
        directory."""
        found = self._resolved()
        if found is None:
            return False
        return found[1].type == "directory" or bool(found[1].mode & 0o111)

    @property
    def uid(self) -> int:
        return self._stat().uid

    @property
    def gid(self) -> int:
        return self._stat().gid

    @property
    def user(self) -> str:
        return self._name("/etc/passwd", self.uid)

    @property
    def group(self) -> str:
        return self._name("/etc/group", self.gid)

    @property
    def mode(self) -> int:
        return self._stat().mode

    def _name(self, table: str, number: int) -> str:
        """A uid's or gid's name from the container's own table, as `stat -c %U` prints it."""
        client, name = self._where
        text = api.file_read(client, name, table).decode("utf-8", "replace")
        for line in text.splitlines():
            fields = line.split(":")
            if len(fields) > 2 and fields[2] == str(number):
                return fields[0]
        return "UNKNOWN"

    def _get_content(self, decode: bool) -> Any:
        found = self._resolved()
        if found is None or found[1].type != "file":
            raise RuntimeError(f"{self.path}: not a file that can be read")
        client, name = self._where
        data = api.file_read(client, name, found[0])
        return data.decode("utf-8") if decode else data

    @property
    def size(self) -> int:
        found = self._resolved()
        if found is None or found[1].type != "file":
            return int(super().size)
        return len(self.content)

    @property
    def md5sum(self) -> str:
        return hashlib.md5(self.content).hexdigest()  # noqa: S324 - testinfra's own sum

    @property
    def sha256sum(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    def listdir(self) -> list[str]:
        """As `ls -1` lists it: sorted, no dot files."""
        found = self._resolved()
        if found is None or found[1].type != "directory":
            raise RuntimeError(f"{self.path}: not a directory")
        client, name = self._where
        return sorted(n for n in api.file_list(client, name, found[0]) if not n.startswith("."))
