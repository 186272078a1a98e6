"""`host setup --storage`: the preseed per driver, ZFS refused plainly, no silent switch."""

import pytest
import yaml

from snaplab.backends import pick
from snaplab.errors import ExitCode, SnaplabError
from snaplab.host import pool
from snaplab.host.preseed import preseed


def test_dir_preseed_is_unchanged_by_default():
    pool = yaml.safe_load(preseed(False))["storage_pools"][0]
    assert pool == {"name": "default", "driver": "dir"}


def test_btrfs_preseed_is_loop_backed_with_its_size():
    pool = yaml.safe_load(preseed(False, "btrfs", "2GiB"))["storage_pools"][0]
    assert pool == {"name": "default", "driver": "btrfs", "config": {"size": "2GiB"}}


def test_btrfs_needs_btrfs_progs():
    assert "btrfs-progs" in pool.STORAGE_PACKAGES["btrfs"]


def test_zfs_is_refused_in_one_line_in_both_languages():
    with pytest.raises(SnaplabError) as e:
        pool.check_storage("zfs")
    assert e.value.code == ExitCode.SETUP_FAILED
    assert "ZFS" in e.value.render("en") and "\n" not in e.value.render("en")
    assert "ZFS를 쓸 수 없습니다" in e.value.render("ko")


@pytest.mark.parametrize("storage", ["dir", "btrfs"])
def test_dir_and_btrfs_are_accepted(storage):
    pool.check_storage(storage)


@pytest.mark.parametrize("backend", pick("all"), ids=lambda b: b.name)
def test_switching_drivers_stops_with_a_conflict(backend):
    with pytest.raises(SnaplabError) as e:
        pool.check_switch(backend, "dir", "btrfs")
    assert e.value.code == ExitCode.CONFLICT
    assert "did not create" in e.value.render("en") and "만들지 않은" in e.value.render("ko")


@pytest.mark.parametrize("current", [None, "btrfs"])
def test_same_driver_or_fresh_host_goes_ahead(current):
    pool.check_switch(pick("lxd")[0], current, "btrfs")


def test_cli_refuses_zfs_before_changing_anything(cli):
    # as root, with --dry-run off: the refusal must come before any step runs
    r = cli("host", "setup", "--storage", "zfs")
    assert r.rc == ExitCode.SETUP_FAILED
    assert len(r.lines) == 1 and "ZFS" in r.lines[0]
