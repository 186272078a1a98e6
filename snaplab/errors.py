"""The one user-facing error type and the documented exit codes.

Only `cli.main` turns a `SnaplabError` into a message; everything below it
raises. The codes are part of the contract (README, "Exit codes").
"""

from __future__ import annotations

from enum import IntEnum

from snaplab.i18n import Text, both


class ExitCode(IntEnum):
    OK = 0
    NOT_PASSING = 1  # some lab steps or doctor checks do not pass
    USAGE = 2  # bad arguments: unknown lab, invalid name, bad option
    DAEMON_DOWN = 3  # the daemon is not installed, not running or not answering
    PERMISSION = 4  # not root where root is needed, or socket not permitted
    NOT_FOUND = 5  # lab container or image missing
    CONFLICT = 6  # a resource of that name is not snaplab's, or another start is making it
    LAB_INVALID = 7  # a lab file fails its schema
    SETUP_FAILED = 8  # host setup could not finish (apt, daemon start, import)
    INTERRUPTED = 130


class SnaplabError(Exception):
    """A failure the user can act on: one line of what is wrong and what to do."""

    def __init__(self, message: str | Text, code: ExitCode = ExitCode.USAGE) -> None:
        super().__init__(str(message))
        self.message = message
        self.code = code

    def render(self, lang: str) -> str:
        m = self.message
        return m.get(lang) if isinstance(m, Text) else m


def not_yaml(path: object, error: Exception, code: ExitCode) -> SnaplabError:
    """A file that does not parse as YAML (a lab, a roster): its path and the parser's words,
    on one line."""
    why = str(error).replace("\n", " ")
    return SnaplabError(
        both(f"{path} is not valid YAML: {why}", f"{path}은(는) 올바른 YAML이 아닙니다: {why}"),
        code,
    )
