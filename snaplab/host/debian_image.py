"""The Debian 12 lab image: a real bash and Debian's tools, for realism over speed.

No image server: mmdebstrap builds a minbase root filesystem from Debian's own
mirror, the same place apt installs the daemons from. It is a split image (a
metadata tarball beside the rootfs tarball) because that is what mmdebstrap
writes directly. Both files are cached under IMAGE_CACHE: a build downloads
tens of MB and takes a minute, so LXD and Incus, and every later run, import
the same pair.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import shlex
import subprocess
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from snaplab.errors import ExitCode, SnaplabError
from snaplab.host import image
from snaplab.i18n import Text, both, text
from snaplab.lab import lock

SUITE = "bookworm"
MIRRORS = (
    f"deb http://deb.debian.org/debian {SUITE} main",
    f"deb http://deb.debian.org/debian-security {SUITE}-security main",
)
# No systemd here: Debian's busybox gives the init that stops on `lxc stop`
# (SIGPWR) and runs the same inittab as the busybox image.
# procps: the `ps` that testinfra's process module reads (busybox's lacks its columns)
INCLUDE = ("busybox", "procps")
# Translations, manuals and docs are a quarter of minbase and no lab reads them;
# the copyright files stay.
DPKG_OPTS = (
    *(f"path-exclude=/usr/share/{d}/*" for d in ("locale", "man", "doc", "info")),
    "path-include=/usr/share/doc/*/copyright",
)
HOOKS = (
    'ln -sf /bin/busybox "$1/sbin/init"',
    f'printf %s {shlex.quote(image.FILES["etc/inittab"])} > "$1/etc/inittab"',
    f'printf %s {shlex.quote(image.FILES["etc/hostname"])} > "$1/etc/hostname"',
)
OS = "debian"  # the property that tells this image from the busybox one


@dataclass(frozen=True)
class Files:
    meta: Path
    rootfs: Path

    def exist(self) -> bool:
        return self.meta.exists() and self.rootfs.exists()

    @property
    def fingerprint(self) -> str:
        """What the daemons name a split image: sha256 of metadata then rootfs."""
        digest = hashlib.sha256()
        for path in (self.meta, self.rootfs):
            with open(path, "rb") as f:
                while chunk := f.read(1 << 20):
                    digest.update(chunk)
        return digest.hexdigest()


def recipe() -> str:
    """A name for how the image is made: a changed package list or hook is a new cache entry,
    so a host set up by an older snaplab rebuilds instead of reusing a stale image."""
    what = repr((SUITE, MIRRORS, INCLUDE, DPKG_OPTS, HOOKS, metadata()))
    return hashlib.sha256(what.encode()).hexdigest()[:12]


def files(cache: Path) -> Files:
    stem = f"snaplab-debian-{recipe()}"
    return Files(cache / f"{stem}-meta.tar.gz", cache / f"{stem}-rootfs.tar.gz")


def mmdebstrap_argv(rootfs: Path) -> list[str]:
    return [
        "mmdebstrap",
        "--variant=minbase",
        f"--include={','.join(INCLUDE)}",
        *(f"--dpkgopt={opt}" for opt in DPKG_OPTS),
        *(f"--customize-hook={hook}" for hook in HOOKS),
        SUITE,
        str(rootfs),
        *MIRRORS,
    ]


def metadata() -> str:
    return yaml.safe_dump(
        {
            "architecture": image.architecture(),
            "creation_date": image.EPOCH,
            "properties": {
                "description": f"snaplab lab image (Debian 12 {SUITE} minbase)",
                "os": OS,
                "release": "12",
            },
        },
        sort_keys=False,
    )


def metadata_tarball() -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.GNU_FORMAT) as tar:
        image.member(tar, "metadata.yaml", data=metadata().encode(), mode=0o644)
    return gzip.compress(raw.getvalue(), compresslevel=6, mtime=0)


def build(cache: Path, log: Path, say: Callable[[str | Text], None]) -> Files:
    """Build into temporary names and rename last, so a failed build leaves no cache.

    SOURCE_DATE_EPOCH pins every mtime; the packages are whatever the mirror
    has today, so two builds match only while Debian publishes no update.

    One build at a time on this machine (two `host setup --image debian` for LXD and
    Incus at once would write one partial file): a second waits, then finds the cache.
    """
    out = files(cache)
    cache.mkdir(parents=True, exist_ok=True)
    with lock.exclusive(BUILDING, BUILD_WAIT, _building):
        if not out.exist():
            _build(out, log, say)
    return out


BUILDING = Path("/run/lock/snaplab-debian-image.lock")  # /run/lock: tmpfs, any user may lock
BUILD_WAIT = 1800.0  # seconds: a build takes a few minutes on this machine


def _building() -> SnaplabError:
    return SnaplabError(
        both(
            f"another Debian image build has run for {BUILD_WAIT:.0f} s: wait for it, "
            "then run `snaplab host setup` again",
            f"다른 데비안 이미지 빌드가 {BUILD_WAIT:.0f}초 동안 실행 중입니다: 끝난 뒤 "
            "`snaplab host setup`을 다시 실행하세요",
        ),
        ExitCode.CONFLICT,
    )


def _build(out: Files, log: Path, say: Callable[[str | Text], None]) -> None:
    log.parent.mkdir(parents=True, exist_ok=True)
    partial = out.rootfs.with_name(".partial-" + out.rootfs.name)  # mmdebstrap reads the suffix
    say(
        both(
            f"    mmdebstrap {SUITE} minbase (log: {log})",
            f"    mmdebstrap {SUITE} minbase (로그: {log})",
        )
    )
    env = {**os.environ, "SOURCE_DATE_EPOCH": str(image.EPOCH)}
    with open(log, "w") as f:
        done = subprocess.run(mmdebstrap_argv(partial), stdout=f, stderr=subprocess.STDOUT, env=env)
    if done.returncode != 0:
        partial.unlink(missing_ok=True)
        raise SnaplabError(
            text("mmdebstrap_failed", reason=failure(log.read_text(errors="replace")), log=log),
            ExitCode.SETUP_FAILED,
        )
    out.meta.write_bytes(metadata_tarball())
    partial.rename(out.rootfs)


def failure(output: str) -> str:
    """mmdebstrap's first `E:` line says why; its last ones only that it stopped."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("E:")]
    return (errors or lines or ["no output"])[0]
