"""Is this host fit for the labs? `snaplab doctor`'s checks as testinfra tests.

Every check reads the host through testinfra's `host` (files, the socket, the user, the
daemon's own client), so the module runs on this machine or over ssh on many:

    pytest checks/test_host.py --lab-backend lxd --hosts=local://
    pytest checks/test_host.py --lab-backend incus --hosts=ssh://root@h1,ssh://root@h2 -n 2

A failed check reports what is wrong and its one-line fix, in Korean or English
(--lab-lang). The daemon is the one in LXD_DIR / INCUS_DIR on that host, else the main one.
The checks themselves live in snaplab/doctor/checks.py: doctor and this module share them.
"""

import pytest

from snaplab.doctor import checks


@pytest.mark.host_check("kernel")
def test_kernel(verdict):
    assert verdict(checks.kernel)


@pytest.mark.host_check("installed")
def test_daemon_installed(verdict):
    assert verdict(checks.installed)


@pytest.mark.host_check("socket")
def test_socket_usable(verdict):
    assert verdict(checks.socket_access)


@pytest.mark.host_check("api")
def test_daemon_answers(verdict):
    assert verdict(checks.api)


@pytest.mark.host_check("storage")
def test_storage_pool(verdict):
    assert verdict(checks.storage)


@pytest.mark.host_check("root-disk")
def test_root_disk(verdict):
    assert verdict(checks.root_disk)


@pytest.mark.host_check("image")
def test_lab_image(verdict):
    assert verdict(checks.lab_image)
