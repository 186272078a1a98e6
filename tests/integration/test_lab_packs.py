"""A lab an instructor owns, on the real daemons, as the book's users, with nothing reinstalled:
a newcomer's pack given through SNAPLAB_PATH (tests/integration/packs/newcomer: a snapshot,
renamed, copied into a new container), and a lab made by `snaplab labs new`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from snaplab.backends import NAMES
from snaplab.testing import CLI, own_project
from tests.conftest import VENV_SNAPLAB, snaplab

pytestmark = pytest.mark.integration

NEWCOMER = Path(__file__).parent / "packs" / "newcomer"
USERS = {"lxd": "lxdadmin", "incus": "incusadmin"}
PYTHON = VENV_SNAPLAB.parent / "python"


def readable_copy(src: Path | None, dest: Path) -> Path:
    """A pack in a folder the book's user can read (pytest's tmp_path is root's alone)."""
    if src is not None:
        shutil.copytree(src, dest)
    else:
        dest.mkdir()
    subprocess.run(["chmod", "-R", "a+rwX", str(dest)], check=True)
    for parent in dest.parents:
        if parent == Path("/tmp"):
            break
        parent.chmod(parent.stat().st_mode | 0o055)
    return dest


@pytest.fixture
def pack_home(tmp_path_factory) -> Path:
    home = Path(tmp_path_factory.mktemp("pack", numbered=True))
    yield home
    shutil.rmtree(home, ignore_errors=True)


def as_user(backend: str, pack: Path, *args: str) -> tuple[int, str, str]:
    r = snaplab(*args, user=USERS[backend], env={"SNAPLAB_PATH": str(pack)})
    return r.rc, r.out, r.err


def score(backend: str, pack: Path, lab: str, target: list[str]) -> tuple[int, int]:
    rc, out, err = as_user(backend, pack, "check", lab, *target, "--json")
    assert rc in (0, 1), err
    found = json.loads(out)
    return found["score"], found["max_score"]


def instances(backend: str, project: str) -> list[str]:
    listed = subprocess.run(
        [CLI[backend], "list", "--project", project, "--format", "json"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return [i["name"] for i in json.loads(listed.stdout)]


@pytest.mark.parametrize("backend", NAMES)
def test_a_newcomers_pack_on_snaplab_path_works_as_the_books_user(backend, pack_home):
    pack = readable_copy(NEWCOMER, pack_home / "newcomer")
    with own_project(backend, "pack") as project:
        target = ["--backend", backend, "--project", project]
        rc, out, err = as_user(backend, pack, "labs")
        assert rc == 0 and "golden-copy" in out and f"{pack} (SNAPLAB_PATH)" in out, err
        assert as_user(backend, pack, "start", "golden-copy", *target)[0] == 0
        try:
            assert score(backend, pack, "golden-copy", target) == (0, 4)
            rc, _, err = as_user(backend, pack, "solve", "golden-copy", *target)
            assert rc == 0, err
            assert score(backend, pack, "golden-copy", target) == (4, 4)
            graded = pack / "grade.json"
            rc, _, err = as_user(
                backend, pack, "grade", "golden-copy", *target, "--json", str(graded)
            )
            assert rc == 0 and json.loads(graded.read_text())["score"] == 4, err
            # plain pytest on the pack's own check module, as the user, with no SNAPLAB_PATH
            plain = subprocess.run(
                ["runuser", "-u", USERS[backend], "--", str(PYTHON), "-m", "pytest",
                 "-p", "no:cacheprovider", "-q", str(pack / "checks" / "test_golden_copy.py"),
                 "--lab-backend", backend, "--lab-project", project],
                capture_output=True, text=True, cwd="/tmp",
                env={**{k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
                     "HOME": f"/home/{USERS[backend]}"},
            )  # fmt: skip
            assert plain.returncode == 0 and "3 passed" in plain.stdout, plain.stdout
        finally:
            rc, out, err = as_user(backend, pack, "finish", "golden-copy", *target)
        assert rc == 0, err
        assert "heldout-copy" in out  # the copy carries the lab's label: the lab's to remove
        assert instances(backend, project) == []


@pytest.mark.parametrize("backend", NAMES)
def test_a_lab_made_by_labs_new_lints_and_solves_to_full_marks(backend, pack_home):
    lab = f"fresh-{backend}"
    pack = readable_copy(None, pack_home / "fresh")
    rc, _, err = as_user(backend, pack, "labs", "new", lab, "--dir", str(pack))
    assert rc == 0, err
    rc, out, err = as_user(backend, pack, "labs", "lint", lab)
    assert rc == 0 and "no problems" in out, out + err
    with own_project(backend, "new") as project:
        target = ["--backend", backend, "--project", project]
        assert as_user(backend, pack, "start", lab, *target)[0] == 0
        try:
            assert score(backend, pack, lab, target) == (0, 2)
            assert as_user(backend, pack, "solve", lab, *target)[0] == 0
            assert score(backend, pack, lab, target) == (2, 2)
        finally:
            assert as_user(backend, pack, "finish", lab, *target)[0] == 0
        assert instances(backend, project) == []
    # the tests it came with pass, on this daemon, with snaplab's own fixtures
    made = subprocess.run(
        [str(PYTHON), "-m", "pytest", "-p", "no:cacheprovider", "-q", "-k", backend + " or checks",
         str(pack / "tests")],
        capture_output=True, text=True, cwd=str(pack),
        env={**{k: v for k, v in os.environ.items() if k != "PYTHONPATH"}, "SNAPLAB_PATH": str(pack)},
    )  # fmt: skip
    assert made.returncode == 0 and " passed" in made.stdout, made.stdout + made.stderr


def test_lint_reports_every_error_at_once_before_any_daemon(pack_home):
    pack = readable_copy(None, pack_home / "broken")
    assert snaplab("labs", "new", "broken", "--dir", str(pack)).rc == 0
    lab_yaml = pack / "labs" / "broken" / "lab.yaml"
    lab_yaml.write_text(lab_yaml.read_text().replace('{snapshot} was deleted"', '{snapsot}"'))
    checks = pack / "checks" / "test_broken.py"
    checks.write_text(checks.read_text().replace('step("snapshot-deleted")', 'step("deleted")'))
    env = {"SNAPLAB_PATH": str(pack), "LXD_DIR": "/nonexistent", "INCUS_DIR": "/nonexistent"}
    r = snaplab("labs", "lint", "broken", env=env)
    assert r.rc == 7
    assert "{snapsot} is not a parameter" in r.out and "step('deleted')" in r.out
    assert "no check in test_broken.py is marked step('snapshot-deleted')" in r.out
