"""One command of the host's setup, run quietly: its output is kept for the error, if any."""

from __future__ import annotations

import subprocess


def run(argv: list[str], check: bool = True, stdin: str | None = None) -> int:
    done = subprocess.run(argv, input=stdin, capture_output=True, text=True)
    if check and done.returncode != 0:
        raise subprocess.CalledProcessError(done.returncode, argv, done.stdout, done.stderr)
    return done.returncode
