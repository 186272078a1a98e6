"""`--hosts=lxd://NAME` and `--hosts=incus://NAME` in a user's own testinfra suite.

The stock testinfra modules (file, run, check_output, exists, process) against real
containers on both daemons, over the REST API, with `?project=`; `host.file` answered by
the files API, as the same questions asked by command answer them. The container runs the
Debian lab image, whose procps gives the `ps` testinfra's process module reads.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from snaplab.errors import ExitCode
from snaplab.host.image import ALIAS

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]

USER_SUITE = """
def test_file(host):
    hostname = host.file("/etc/hostname")
    assert hostname.exists and hostname.is_file
    passwd = host.file("/etc/passwd")
    assert passwd.user == "root" and passwd.group == "root" and passwd.mode == 0o644
    assert hostname.content_string == "snaplab\\n"
    assert host.file("/root").is_directory
    assert not host.file("/root/nothing-here").exists
    from snaplab.infra.files import ApiFile  # answered by the files API: no command runs

    assert isinstance(hostname, ApiFile)
    sh = host.file("/bin/sh")  # a link to dash, through /bin, a link to usr/bin
    assert sh.is_symlink and sh.exists and sh.is_file and sh.is_executable
    assert host.file("/etc").listdir() == host.check_output("ls -1 /etc").splitlines()
    assert hostname.sha256sum == host.check_output("sha256sum /etc/hostname").split()[0]
    assert host.file("/root").mode == int(host.check_output("stat -c %a /root"), 8)


def test_run(host):
    assert host.run("echo %s", "a b").stdout == "a b\\n"
    assert host.run("exit 3").rc == 3
    assert host.check_output("id -u") == "0"
    assert host.exists("bash") and not host.exists("no-such-command")


def test_process(host):
    init = host.process.get(pid=1)
    assert init.comm == "init"
    assert host.process.filter(comm="sleep"), "the inittab's respawned sleep"
"""


@pytest.mark.parametrize("backend", ["lxd", "incus"])
def test_a_users_own_suite_passes_on_both_daemons(cli, spares, backend, tmp_path):
    spare = spares.get(backend, "debian")
    r = cli("host", "setup", "--backend", backend, "--image", "debian", env=spare.env)
    assert r.rc == ExitCode.OK, r.err
    spare.cli("project", "create", "infra-p", "-c", "features.images=false")
    spare.cli("profile", "device", "add", "default", "root", "disk", "path=/", "pool=default",
              "--project", "infra-p")  # fmt: skip
    for project in ("default", "infra-p"):
        spare.cli("launch", ALIAS, "infra-web", "--project", project)
    suite = tmp_path / "test_mine.py"
    suite.write_text(USER_SUITE)
    hosts = f"{backend}://infra-web,{backend}://infra-web?project=infra-p"
    try:
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-v", "-p", "no:cacheprovider", str(suite),
             f"--hosts={hosts}", "--rootdir", str(tmp_path)],
            capture_output=True, text=True, cwd=tmp_path,
            env={**os.environ, **spare.env, "PYTHONPATH": str(ROOT)},
        )  # fmt: skip
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
        assert "6 passed" in done.stdout, done.stdout
        for spec in hosts.split(","):
            for test in ("test_file", "test_run", "test_process"):
                assert f"{test}[{spec}] PASSED" in done.stdout, done.stdout
    finally:
        for project in ("default", "infra-p"):
            spare.cli("delete", "--force", "infra-web", "--project", project, check=False)
