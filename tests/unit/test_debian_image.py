"""`host setup --image`: which images it takes, and the Debian build without running mmdebstrap."""

from __future__ import annotations

import gzip
import hashlib
import io
import platform
import subprocess
import tarfile
import threading
from pathlib import Path

import pytest
import yaml

from snaplab.errors import ExitCode, SnaplabError
from snaplab.host import debian_image, image, lab_image, setup
from snaplab.lab import lock

FAKE_MMDEBSTRAP = """#!/bin/sh
# stands in for mmdebstrap: writes the output it was given, or fails like it does
for arg; do case "$arg" in *.tar.gz) out="$arg";; esac; done
if [ -n "$FAIL" ]; then
    echo "I: running apt-get update..."
    echo "E: apt-get update -oAPT::Status-Fd=<$$> failed"
    echo "E: mmdebstrap failed to run"
    exit 1
fi
echo "SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH" > "$out"
"""


@pytest.mark.parametrize("name", ["busybox", "debian", "images:ubuntu/22.04", "local:mine"])
def test_image_choices_are_accepted(name):
    lab_image.check_image(name)


@pytest.mark.parametrize("name", ["ubuntu", "Debian", "", "bookworm"])
def test_anything_else_is_refused_in_one_line_in_both_languages(name):
    with pytest.raises(SnaplabError) as e:
        lab_image.check_image(name)
    assert e.value.code == ExitCode.USAGE
    assert "REMOTE:ALIAS" in e.value.render("en") and "\n" not in e.value.render("en")
    assert "원격 이미지" in e.value.render("ko")


def test_busybox_stays_the_default():
    assert setup.Options().image == "busybox"


def test_debian_needs_mmdebstrap_and_busybox_nothing_more():
    assert lab_image.IMAGE_PACKAGES == {"debian": ("mmdebstrap",)}


def test_cli_refuses_an_unknown_image_before_changing_anything(cli):
    r = cli("host", "setup", "--image", "ubuntu")
    assert r.rc == ExitCode.USAGE
    assert len(r.lines) == 1 and "'ubuntu'" in r.lines[0]


def test_mmdebstrap_argv_builds_a_minbase_bookworm_tarball(tmp_path):
    out = tmp_path / "rootfs.tar.gz"
    argv = debian_image.mmdebstrap_argv(out)
    assert argv[0] == "mmdebstrap"
    assert "--variant=minbase" in argv
    assert "--include=busybox,procps" in argv
    options = [a for a in argv if a.startswith("--")]
    assert argv[len(options) + 1 :] == ["bookworm", str(out), *debian_image.MIRRORS]
    assert all(m.startswith("deb http://deb.debian.org/") for m in debian_image.MIRRORS)
    assert "--dpkgopt=path-include=/usr/share/doc/*/copyright" in argv


def test_the_hooks_make_busybox_init_with_the_busybox_image_inittab(tmp_path):
    root = tmp_path / "root"
    (root / "usr" / "sbin").mkdir(parents=True)
    (root / "sbin").symlink_to("usr/sbin")  # bookworm's merged /usr
    (root / "etc").mkdir()
    argv = debian_image.mmdebstrap_argv(tmp_path / "x.tar.gz")
    hooks = [a.partition("=")[2] for a in argv if a.startswith("--customize-hook=")]
    assert hooks == list(debian_image.HOOKS)
    for hook in hooks:  # as mmdebstrap runs a hook: sh -c HOOK exec ROOT
        subprocess.run(["sh", "-c", hook, "exec", str(root)], check=True)
    init = root / "usr" / "sbin" / "init"
    assert init.is_symlink() and str(init.readlink()) == "/bin/busybox"
    assert (root / "etc" / "inittab").read_text() == image.FILES["etc/inittab"]
    assert (root / "etc" / "hostname").read_text() == image.FILES["etc/hostname"]


def test_metadata_says_debian_12_for_this_architecture():
    meta = yaml.safe_load(debian_image.metadata())
    assert meta["architecture"] == platform.machine()
    assert meta["creation_date"] == image.EPOCH
    props = meta["properties"]
    assert props["os"] == debian_image.OS == "debian"
    assert props["release"] == "12"  # a string, as the daemons show properties
    assert "Debian 12" in props["description"]


def test_metadata_tarball_is_reproducible_and_holds_only_metadata():
    data = debian_image.metadata_tarball()
    assert data == debian_image.metadata_tarball()
    assert data[4:8] == b"\x00\x00\x00\x00"  # gzip MTIME field
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(data))) as tar:
        assert tar.getnames() == ["metadata.yaml"]
        info = tar.getmember("metadata.yaml")
        f = tar.extractfile(info)
        assert f is not None and f.read().decode() == debian_image.metadata()
        assert info.mtime == image.EPOCH and (info.uid, info.gid) == (0, 0)


def test_split_fingerprint_is_sha256_of_metadata_then_rootfs(tmp_path):
    made = debian_image.files(tmp_path)
    made.meta.write_bytes(b"meta")
    made.rootfs.write_bytes(b"rootfs")
    assert made.exist()
    assert made.fingerprint == hashlib.sha256(b"metarootfs").hexdigest()


def test_failure_names_the_first_error_line():
    out = "I: one\nE: apt-get update failed\nE: mmdebstrap failed to run\n"
    assert debian_image.failure(out) == "E: apt-get update failed"
    assert debian_image.failure("\nUnknown option: foo\nusage\n") == "Unknown option: foo"
    assert debian_image.failure("") == "no output"


@pytest.fixture
def fake_mmdebstrap(tmp_path, monkeypatch) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "mmdebstrap").write_text(FAKE_MMDEBSTRAP)
    (bin_dir / "mmdebstrap").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    return bin_dir


def test_build_caches_both_tarballs_with_a_pinned_epoch(fake_mmdebstrap, tmp_path):
    said: list[str] = []
    made = debian_image.build(tmp_path / "cache", tmp_path / "log" / "mm.log", said.append)
    assert made == debian_image.files(tmp_path / "cache") and made.exist()
    assert made.rootfs.read_text() == f"SOURCE_DATE_EPOCH={image.EPOCH}\n"
    assert made.meta.read_bytes() == debian_image.metadata_tarball()
    assert sorted(p.name for p in made.rootfs.parent.iterdir()) == sorted(
        [made.meta.name, made.rootfs.name]
    )
    assert said and "mmdebstrap" in str(said[0])


def test_a_failed_build_says_why_in_one_line_and_leaves_no_cache(
    fake_mmdebstrap, tmp_path, monkeypatch
):
    monkeypatch.setenv("FAIL", "1")
    log = tmp_path / "mm.log"
    with pytest.raises(SnaplabError) as e:
        debian_image.build(tmp_path / "cache", log, lambda _: None)
    assert e.value.code == ExitCode.SETUP_FAILED
    en = e.value.render("en")
    assert "\n" not in en and "apt-get update" in en and str(log) in en
    assert "데비안 이미지" in e.value.render("ko")
    assert list((tmp_path / "cache").iterdir()) == []
    assert "E: mmdebstrap failed to run" in log.read_text()


def test_a_changed_recipe_is_a_new_cache_entry(monkeypatch, tmp_path):
    before = debian_image.files(tmp_path)
    monkeypatch.setattr(debian_image, "INCLUDE", (*debian_image.INCLUDE, "vim-tiny"))
    after = debian_image.files(tmp_path)
    assert before.rootfs != after.rootfs and before.meta != after.meta


def test_a_second_build_waits_for_the_first_and_finds_its_cache(
    fake_mmdebstrap, tmp_path, monkeypatch
):
    """LXD's and Incus's `host setup --image debian` at once: one build, not two in one file."""
    monkeypatch.setattr(debian_image, "BUILDING", tmp_path / "building.lock")
    cache, log = tmp_path / "cache", tmp_path / "mm.log"
    cache.mkdir()
    with lock.exclusive(debian_image.BUILDING, 0, lambda: SnaplabError("held")):
        waiter = threading.Thread(target=debian_image.build, args=(cache, log, lambda _: None))
        waiter.start()
        waiter.join(0.3)
        assert waiter.is_alive() and not log.exists()  # waiting: mmdebstrap not run
        debian_image._build(debian_image.files(cache), log, lambda _: None)  # the first's
        built = log.stat().st_mtime_ns
    waiter.join(60)
    assert not waiter.is_alive() and debian_image.files(cache).exist()
    assert log.stat().st_mtime_ns == built  # the second found the cache and built nothing
