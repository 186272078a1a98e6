"""The offline lab image: reproducible bytes, and a rootfs the chapter can use."""

from __future__ import annotations

import gzip
import hashlib
import io
import platform
import stat
import subprocess
import tarfile
from pathlib import Path

import pytest
import yaml

from snaplab.host import image

FAKE_BUSYBOX = """#!/bin/sh
# stands in for busybox-static: the applet list names the binary and bash too
if [ "$1" = "--list-full" ]; then
    printf 'bin/busybox\\nbin/sh\\nbin/bash\\nbin/touch\\nusr/bin/env\\nsbin/init\\n'
    exit 0
fi
echo "BusyBox v9.9.9 (fake) multi-call binary."
"""


def members(img: image.Image) -> dict[str, tuple[tarfile.TarInfo, bytes | None]]:
    out: dict[str, tuple[tarfile.TarInfo, bytes | None]] = {}
    with tarfile.open(fileobj=io.BytesIO(img.data), mode="r:gz") as tar:
        for info in tar.getmembers():
            assert info.name not in out, f"{info.name} appears twice"
            f = tar.extractfile(info) if info.isreg() else None
            out[info.name] = (info, f.read() if f else None)
    return out


@pytest.fixture(scope="module")
def real_busybox() -> Path:
    if not image.BUSYBOX.exists():
        pytest.skip(f"{image.BUSYBOX} is absent (Debian's busybox-static provides it)")
    return image.BUSYBOX


@pytest.fixture(scope="module")
def built(real_busybox: Path) -> image.Image:
    return image.build(real_busybox)


@pytest.fixture
def fake_busybox(tmp_path: Path) -> Path:
    path = tmp_path / "busybox"
    path.write_text(FAKE_BUSYBOX)
    path.chmod(0o755)
    return path


def test_two_builds_have_the_same_fingerprint(real_busybox, built):
    again = image.build(real_busybox)
    assert again.fingerprint == built.fingerprint
    assert again.data == built.data
    assert built.fingerprint == hashlib.sha256(built.data).hexdigest()


def test_gzip_and_members_carry_no_build_time(built):
    assert built.data[:2] == b"\x1f\x8b"
    assert built.data[4:8] == b"\x00\x00\x00\x00"  # gzip MTIME field
    for info, _ in members(built).values():
        assert info.mtime == image.EPOCH, info.name
        assert (info.uid, info.gid, info.uname, info.gname) == (0, 0, "root", "root")


def test_busybox_is_a_regular_file_not_a_link(real_busybox, built):
    info, data = members(built)["rootfs/bin/busybox"]
    assert info.isreg()
    assert data == real_busybox.read_bytes()
    assert info.mode & 0o111


def test_bash_is_an_executable_script_running_sh(built):
    info, data = members(built)["rootfs/bin/bash"]
    assert info.isreg() and not info.issym()
    assert stat.S_IMODE(info.mode) == 0o755
    assert data is not None and data.startswith(b"#!/bin/sh\n")
    assert b"exec /bin/sh" in data


def test_every_applet_is_a_link_to_busybox(real_busybox, built):
    got = members(built)
    listed = subprocess.run(
        [str(real_busybox), "--list-full"], capture_output=True, text=True, check=True
    ).stdout.split()
    applets = [p for p in listed if p not in ("bin/busybox", "bin/bash")]
    assert "bin/sh" in applets and "bin/touch" in applets
    for path in applets:
        info, _ = got[f"rootfs/{path}"]
        assert info.issym(), path
        assert info.linkname == "/bin/busybox", path
    links = {name for name, (info, _) in got.items() if info.issym()}
    assert links == {f"rootfs/{p}" for p in applets}


def test_metadata_names_the_architecture(built):
    info, data = members(built)["metadata.yaml"]
    assert info.isreg() and data is not None
    meta = yaml.safe_load(data)
    assert meta["architecture"] == platform.machine()
    assert meta["creation_date"] == image.EPOCH
    assert meta["properties"]["os"] == "busybox"
    assert meta["properties"]["release"] == image.busybox_version(image.BUSYBOX)


def test_rootfs_has_what_init_and_login_need(built):
    got = members(built)
    assert got["metadata.yaml"][0].isreg() and got["rootfs"][0].isdir()
    for d in image.DIRS:
        assert got[f"rootfs/{d}"][0].isdir(), d
    assert stat.S_IMODE(got["rootfs/tmp"][0].mode) == 0o1777
    assert stat.S_IMODE(got["rootfs/root"][0].mode) == 0o700
    for path, text in image.FILES.items():
        assert got[f"rootfs/{path}"][1] == text.encode(), path
    assert b"::respawn:" in (got["rootfs/etc/inittab"][1] or b"")


def test_write_puts_the_exact_bytes_on_disk(built, tmp_path):
    dest = built.write(tmp_path / "cache" / "snaplab-lab.tar.gz")
    assert dest.read_bytes() == built.data
    assert hashlib.sha256(dest.read_bytes()).hexdigest() == built.fingerprint


# -- with a stand-in busybox: runs anywhere ------------------------------------------


def test_applet_list_never_shadows_the_binary_or_bash(fake_busybox):
    assert image.applets(fake_busybox) == ["bin/sh", "bin/touch", "sbin/init", "usr/bin/env"]


def test_build_from_a_stand_in_busybox(fake_busybox):
    img = image.build(fake_busybox)
    got = members(img)
    info, data = got["rootfs/bin/busybox"]
    assert info.isreg() and data == fake_busybox.read_bytes()
    assert got["rootfs/bin/bash"][0].isreg()
    assert got["rootfs/bin/bash"][1] == image.FILES["bin/bash"].encode()
    for path in ("bin/sh", "bin/touch", "sbin/init", "usr/bin/env"):
        assert got[f"rootfs/{path}"][0].issym()
        assert got[f"rootfs/{path}"][0].linkname == "/bin/busybox"
    meta = yaml.safe_load(got["metadata.yaml"][1] or b"")
    assert meta["properties"]["release"] == "9.9.9"
    assert image.build(fake_busybox).fingerprint == img.fingerprint


def test_a_different_busybox_gives_a_different_fingerprint(fake_busybox, tmp_path):
    other = tmp_path / "other-busybox"
    other.write_text(FAKE_BUSYBOX + "# another build\n")
    other.chmod(0o755)
    assert image.build(other).fingerprint != image.build(fake_busybox).fingerprint


def test_the_tarball_is_gzip_of_a_plain_tar(fake_busybox):
    raw = gzip.decompress(image.build(fake_busybox).data)
    with tarfile.open(fileobj=io.BytesIO(raw), mode="r:") as tar:
        names = tar.getnames()
    assert names[0] == "metadata.yaml" and names[1] == "rootfs"
