"""The offline lab image: busybox-static plus a `bash` that the chapter can exec.

The tarball is built byte-for-byte reproducibly (fixed mtimes, owners and order,
gzip without a timestamp) so its fingerprint names its content, and a second
`host setup` can tell from the fingerprint alone that nothing needs importing.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import platform
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

BUSYBOX = Path("/bin/busybox")
ALIAS = "snaplab-lab"
EPOCH = 1700000000  # fixed mtime for every member: determinism, not history

# Deliberately tiny: busybox init needs an inittab, `su -l` (incus shell) needs
# passwd and a login shell, and the chapter's `lxc exec ubuntu-test bash` needs
# something called bash. Busybox has no bash applet, so bash is its ash.
FILES = {
    "etc/inittab": "::sysinit:/bin/hostname -F /etc/hostname\n"
    "::respawn:/bin/sleep 2147483647\n"
    "::shutdown:/bin/sync\n",
    "etc/passwd": "root:x:0:0:root:/root:/bin/sh\n",
    "etc/group": "root:x:0:\n",
    "etc/hostname": "snaplab\n",
    "etc/profile": "export PATH=/usr/sbin:/usr/bin:/sbin:/bin\nexport HOME=/root\n",
    "etc/os-release": 'NAME="snaplab busybox"\nID=snaplab\n',
    "bin/bash": '#!/bin/sh\nexec /bin/sh "$@"\n',
}
DIRS = [
    "bin",
    "sbin",
    "usr",
    "usr/bin",
    "usr/sbin",
    "etc",
    "root",
    "tmp",
    "proc",
    "sys",
    "dev",
    "run",
    "var",
    "var/log",
]


@dataclass(frozen=True)
class Image:
    data: bytes
    fingerprint: str

    def write(self, dest: Path) -> Path:
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(self.data)
        return dest


def architecture() -> str:
    return platform.machine()


def metadata(busybox_version: str) -> str:
    return (
        f"architecture: {architecture()}\n"
        f"creation_date: {EPOCH}\n"
        "properties:\n"
        "  description: snaplab lab image (busybox "
        f"{busybox_version}, offline)\n"
        "  os: busybox\n"
        f'  release: "{busybox_version}"\n'
    )


def applets(busybox: Path) -> list[str]:
    out = subprocess.run(
        [str(busybox), "--list-full"], capture_output=True, text=True, check=True
    ).stdout
    # `--list-full` names paths such as bin/sh; never let one shadow the binary
    # itself or the bash wrapper.
    keep = {"bin/busybox", "bin/bash"}
    return sorted(p for p in out.split() if p and p not in keep)


def busybox_version(busybox: Path) -> str:
    head = subprocess.run([str(busybox)], capture_output=True, text=True).stdout
    # "BusyBox v1.35.0 (Debian 1:1.35.0-4+b3) multi-call binary."
    return head.split()[1].lstrip("v") if head.startswith("BusyBox") else "unknown"


def member(
    tar: tarfile.TarFile,
    name: str,
    *,
    data: bytes | None = None,
    mode: int = 0o755,
    link: str | None = None,
) -> None:
    info = tarfile.TarInfo(name)
    info.mtime, info.uid, info.gid, info.uname, info.gname = EPOCH, 0, 0, "root", "root"
    info.mode = mode
    if link is not None:
        info.type, info.linkname = tarfile.SYMTYPE, link
        tar.addfile(info)
    elif data is None:
        info.type = tarfile.DIRTYPE
        tar.addfile(info)
    else:
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))


def build(busybox: Path = BUSYBOX) -> Image:
    """The unified image tarball, in memory: a dry run may compute it freely."""

    version = busybox_version(busybox)
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.GNU_FORMAT) as tar:
        member(tar, "metadata.yaml", data=metadata(version).encode(), mode=0o644)
        member(tar, "rootfs", mode=0o755)
        for d in DIRS:
            member(
                tar, f"rootfs/{d}", mode=0o1777 if d == "tmp" else 0o700 if d == "root" else 0o755
            )
        member(tar, "rootfs/bin/busybox", data=busybox.read_bytes())
        for path in applets(busybox):
            member(tar, f"rootfs/{path}", link="/bin/busybox")
        for path, text in sorted(FILES.items()):
            member(
                tar,
                f"rootfs/{path}",
                data=text.encode(),
                mode=0o755 if path.startswith("bin/") else 0o644,
            )
    packed = io.BytesIO()
    with gzip.GzipFile(fileobj=packed, mode="wb", mtime=0, compresslevel=6) as gz:
        gz.write(raw.getvalue())
    return Image(packed.getvalue(), hashlib.sha256(packed.getvalue()).hexdigest())
