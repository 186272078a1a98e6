"""`make test` keeps each daemon's tests on one xdist worker (tests/conftest.py). If a
pytest or xdist upgrade stopped honouring the groups, nothing would fail: the two halves
would simply share the daemons, and CI would go red now and then. This says so at once."""

import subprocess
import sys

SUITE = """
import pytest

def pytest_itemcollected(item):
    item.add_marker(pytest.mark.xdist_group(item.callspec.params["backend"]))
"""
TESTS = """
import os, pytest

@pytest.mark.parametrize("n", range(4))
@pytest.mark.parametrize("backend", ["lxd", "incus"])
def test_one(backend, n):
    print(backend, os.environ["PYTEST_XDIST_WORKER"])
"""


def test_each_group_runs_on_one_worker(tmp_path):
    (tmp_path / "conftest.py").write_text(SUITE)
    (tmp_path / "test_groups.py").write_text(TESTS)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadgroup", "-v", "-p",
         "no:cacheprovider", "-p", "no:snaplab", str(tmp_path)],
        capture_output=True, text=True, cwd=tmp_path, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    ran = [line.split() for line in done.stdout.splitlines() if " PASSED " in line]
    assert len(ran) == 8, done.stdout
    workers = {b: {w for w, *_, t in ran if f"[{b}-" in t} for b in ("lxd", "incus")}
    assert all(len(w) == 1 for w in workers.values()), done.stdout
