"""snaplab's pytest plugin, active in any pytest run once snaplab is installed.

Registered through the `pytest11` entry point. It stays out of the way of a run
that collects no lab checks: it adds options and the `step` marker, and imports
nothing heavy until a lab check asks for a fixture.
"""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("snaplab", "snaplab lab checks")
    group.addoption("--lab-backend", help="lxd or incus (default: the session `start` began)")
    group.addoption("--lab-instance", help="the lab container (default: the session's)")
    group.addoption("--lab-project", help="the project of the lab container")
    group.addoption("--lab-remote", help="a stored HTTPS remote, as added by `snaplab remote add`")
    group.addoption("--lab-lang", help="ko or en: the language of the lab's messages")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "step(id): the lab step this check grades")
