"""One way to run a shipped check module inside snaplab's own process.

`check` grades a lab and `doctor` checks a host by running a module of checks/ with
pytest.main. Both want the same: only snaplab's plugin (the user's own plugins are not
graders), none of pytest's that they never use (fewer to load, a faster `check`), no
config file or conftest.py from around the module, and plain asserts (the messages come
from the lab's or doctor's data, so no rewriting, about 40 ms a run).

A check's prints are still kept off the output (`check --json` must stay JSON), by
swapping sys.stdout rather than the file descriptors: the dup2 calls around each phase of
each check cost a tenth of a class's grade (1,800 checks for 200 learners: 2.6 s against
2.4 s, with the logging plugin gone too).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

UNUSED_PLUGINS = (
    "terminal",
    "cacheprovider",
    "doctest",
    "junitxml",
    "pastebin",
    "stepwise",
    "unittest",
    "debugging",
    "faulthandler",
    "setuponly",
    "setupplan",
    "legacypath",
    "unraisableexception",  # its clean-up runs gc.collect() again and again
    "threadexception",
    "logging",  # a log handler put up and taken down around each phase of every check
)


def run(module: Path, plugin: object) -> int:
    """pytest.main on `module`, quietly, with snaplab's plugin and `plugin` (a collector)."""
    here = str(module.parent)
    saved = os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    try:
        quiet = [arg for name in UNUSED_PLUGINS for arg in ("-p", f"no:{name}")]
        return int(
            pytest.main(
                [str(module), "-p", "snaplab.pytest_plugin", *quiet, "-c", os.devnull]
                + ["--rootdir", here, "--confcutdir", here, "-W", "ignore::UserWarning"]
                + ["--assert=plain", "--capture=sys"],
                plugins=[plugin],
            )
        )
    finally:
        if saved is None:
            os.environ.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)
        else:
            os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = saved
