"""One module per verb; this list is the CLI's table of contents."""

from snaplab.commands import doctor, host

COMMANDS = [host, doctor]
