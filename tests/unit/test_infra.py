"""The lxd:// and incus:// testinfra hosts as pure logic: registration, host specs, ids."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import testinfra.backend

from snaplab import infra
from snaplab.infra.api import ApiBackend, IncusBackend, LxdBackend
from snaplab.lab.entries import OWN_MARK
from snaplab.lab.testinfra_backend import get_host


def test_both_schemes_are_in_testinfras_map():
    infra.register()
    assert testinfra.backend.get_backend_class("lxd") is LxdBackend
    assert testinfra.backend.get_backend_class("incus") is IncusBackend


@pytest.mark.parametrize(
    "spec, host, extra",
    [
        ("lxd://web", "web", {}),
        ("incus://web?project=ko101-kim", "web", {"project": "ko101-kim"}),
        ("lxd://web?remote=classroom&project=p", "web", {"remote": "classroom", "project": "p"}),
    ],
)
def test_a_host_spec_keeps_project_and_remote(spec, host, extra):
    infra.register()
    infra.register()  # twice: the parser is wrapped once
    name, kw = testinfra.backend.parse_hostspec(spec)
    assert name == host
    assert {k: kw[k] for k in ("project", "remote") if k in kw} == extra


def test_other_schemes_are_parsed_as_testinfra_does():
    infra.register()
    _, kw = testinfra.backend.parse_hostspec("docker://web?project=x")
    assert "project" not in kw


def test_the_test_id_is_the_spec_as_typed():
    assert LxdBackend("web").get_pytest_id() == "lxd://web"
    assert IncusBackend("web", project="p").get_pytest_id() == "incus://web?project=p"


def test_connecting_waits_until_a_command_runs():
    backend = LxdBackend("web", remote="nowhere")  # collecting tests needs no daemon
    assert backend._client is None


def test_the_lab_checks_host_marks_every_command_as_snaplabs(monkeypatch):
    class Client:  # hashable, as pylxd's is: testinfra caches hosts by their arguments
        host_info = {"environment": {"server": "incus"}}

    client = Client()
    seen = []
    monkeypatch.setattr(
        "snaplab.instance.execute",
        lambda c, name, argv, timeout=120: (
            seen.append((c, name, argv)) or SimpleNamespace(rc=0, stdout="", stderr="")
        ),
    )
    host = get_host("ubuntu-test", client)
    assert isinstance(host.backend, ApiBackend) and host.backend.NAME == "incus"
    host.run("test -e %s", "/root/this_file.txt")
    assert seen == [
        (client, "ubuntu-test", ["/bin/sh", "-c", "test -e /root/this_file.txt", OWN_MARK])
    ]


def test_host_file_follows_links_as_test_e_does(monkeypatch):
    """host.file on our hosts asks the files API (snaplab/infra/files.py), whose answers are
    the path's own (lstat): a link is followed to what it names, relative to its directory,
    a dangling link or a loop is no file, and testinfra's own module serves other hosts."""
    import testinfra

    from snaplab import instance as api
    from snaplab.infra import files

    tree = {
        "/bin": api.FileInfo("symlink", 0o777, 0, 0),
        "/usr/bin": api.FileInfo("directory", 0o755, 0, 0),
        "/usr/bin/sh": api.FileInfo("symlink", 0o777, 0, 0),
        "/usr/bin/dash": api.FileInfo("file", 0o755, 0, 0),
        "/root/gone": api.FileInfo("symlink", 0o777, 0, 0),
        "/root/loop": api.FileInfo("symlink", 0o777, 0, 0),
    }
    links = {
        "/bin": "usr/bin",
        "/usr/bin/sh": "dash",
        "/root/gone": "/nowhere",
        "/root/loop": "loop",
    }

    def resolve(path):  # as the kernel does for every component but the last
        head, _, tail = path.rpartition("/")
        return "/usr/bin/" + tail if head == "/bin" else path

    monkeypatch.setattr(api, "file_info", lambda c, n, p, timeout=None: tree.get(resolve(p)))
    monkeypatch.setattr(api, "file_read", lambda c, n, p, timeout=None: links[resolve(p)].encode())
    infra.register()

    class Client:  # hashable, as testinfra's host cache needs
        host_info = {"environment": {"server": "lxd"}}

    host = get_host("web", Client())
    sh = host.file("/bin/sh")
    assert isinstance(sh, files.ApiFile)
    assert sh.is_symlink and sh.exists and sh.is_file and sh.is_executable and sh.mode == 0o755
    assert host.file("/bin").is_directory and not host.file("/bin").is_file
    for name in ("/root/gone", "/root/loop", "/root/none"):
        assert not host.file(name).exists and not host.file(name).is_file
    assert host.file("/root/gone").is_symlink
    assert not isinstance(testinfra.get_host("local://").file("/"), files.ApiFile)
