"""One module per verb; this list is the CLI's table of contents (and --help's order)."""

from snaplab.commands import (
    check,
    classroom,
    doctor,
    finish,
    grade,
    guides,
    host,
    labs,
    remote,
    solve,
    start,
    watch,
)

COMMANDS = [
    labs,
    start,
    check,
    watch,
    solve,
    grade,
    finish,
    host,
    doctor,
    remote,
    classroom,
    guides,
]
