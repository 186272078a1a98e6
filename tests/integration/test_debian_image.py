"""`host setup --image debian` on spare daemons: the Debian image built (once, cached), the lab graded on it.

Spares, so the main daemons keep their alias; the build itself is cached in
/var/cache/snaplab, so the second backend and later runs only import it.
"""

from __future__ import annotations

import json

import pytest

from snaplab.errors import ExitCode
from snaplab.host.image import ALIAS

pytestmark = pytest.mark.integration

BACKENDS = ["lxd", "incus"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_debian_image_grades_the_lab_and_busybox_takes_the_alias_back(
    cli, spares, backend, tmp_path
):
    spare = spares.get(backend, "debian")
    r = cli("host", "setup", "--backend", backend, "--image", "debian", "--json", env=spare.env)
    assert r.rc == ExitCode.OK, r.err
    assert "os: debian" in spare.cli("image", "info", ALIAS).stdout
    again = cli("host", "setup", "--backend", backend, "--image", "debian", "--json", env=spare.env)
    assert again.rc == ExitCode.OK, again.err
    assert json.loads(again.out)["changed"] is False

    # the chapter's lab, solved and graded in a Debian container with a real bash
    env = {**spare.env, "XDG_STATE_HOME": str(tmp_path), "SNAPLAB_LANG": "en"}
    assert cli("start", "snapshots", "--backend", backend, env=env).rc == ExitCode.OK
    bash = spare.cli("exec", "ubuntu-test", "--", "bash", "-c", "echo $BASH_VERSION").stdout
    assert bash.startswith("5."), bash
    solved = cli("solve", "snapshots", "--backend", backend, env=env)
    assert solved.rc == ExitCode.OK, solved.err
    graded = cli("check", "snapshots", "--backend", backend, "--json", env=env)
    assert graded.rc == ExitCode.OK, graded.out + graded.err
    report = json.loads(graded.out)
    assert report["score"] == report["max_score"], report
    assert cli("finish", "snapshots", "--backend", backend, env=env).rc == ExitCode.OK

    # back to busybox: the alias moves, the Debian image stays for next time
    back = cli("host", "setup", "--backend", backend, "--image", "busybox", env=env)
    assert back.rc == ExitCode.OK, back.err
    assert "os: busybox" in spare.cli("image", "info", ALIAS).stdout
    images = spare.cli("image", "list", "--format", "csv", "--columns", "d").stdout
    assert "Debian 12" in images and "busybox" in images, images
