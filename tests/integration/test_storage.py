"""`host setup --storage btrfs` on spare daemons: a real loop-backed pool, the lab graded on it.

Spares, so the shared main daemons' pools are never touched; each spare's
pool lives under its own directory and goes with it.
"""

from __future__ import annotations

import json

import pytest

from snaplab.errors import ExitCode

pytestmark = pytest.mark.integration

BACKENDS = ["lxd", "incus"]
SMALL_POOL = "1GiB"  # the busybox lab needs a few MB; keep the loop file small


@pytest.mark.parametrize("backend", BACKENDS)
def test_btrfs_pool_grades_the_lab_and_refuses_a_switch(cli, spares, backend, tmp_path):
    spare = spares.get(backend, "btrfs")
    r = cli(
        "host", "setup", "--backend", backend, "--storage", "btrfs",
        "--pool-size", SMALL_POOL, "--json", env=spare.env,
    )  # fmt: skip
    assert r.rc == ExitCode.OK, r.err
    pools = spare.cli("storage", "list", "--format", "csv").stdout
    assert "default,btrfs" in pools, pools

    # the chapter's lab, solved and graded on the btrfs pool
    env = {**spare.env, "XDG_STATE_HOME": str(tmp_path), "SNAPLAB_LANG": "en"}
    for verb in ("start", "solve"):
        step = cli(verb, "snapshots", "--backend", backend, env=env)
        assert step.rc == ExitCode.OK, step.err
    graded = cli("check", "snapshots", "--backend", backend, "--json", env=env)
    assert graded.rc == ExitCode.OK, graded.out + graded.err
    report = json.loads(graded.out)
    assert report["score"] == report["max_score"], report

    # asking for dir on a btrfs host stops, and the pool and the lab are left as they were
    again = cli("host", "setup", "--backend", backend, "--storage", "dir", env=env)
    assert again.rc == ExitCode.CONFLICT
    assert "did not create" in again.err.strip().splitlines()[-1]
    assert "default,btrfs" in spare.cli("storage", "list", "--format", "csv").stdout
    assert cli("finish", "snapshots", "--backend", backend, env=env).rc == ExitCode.OK
