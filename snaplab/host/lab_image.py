"""The lab image on the daemon, under its alias: built here (busybox, or Debian with
mmdebstrap) and imported, or copied from a remote; a second run finds it by fingerprint."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pylxd.exceptions import NotFound

from snaplab.backends import Backend
from snaplab.errors import SnaplabError
from snaplab.host import daemon, debian_image, image
from snaplab.host.shell import run
from snaplab.i18n import Text, both, text

IMAGE_CACHE = Path("/var/cache/snaplab")
IMAGES = ("busybox", "debian")  # what --image builds here; REMOTE:ALIAS copies instead
IMAGE_PACKAGES = {"debian": ("mmdebstrap",)}


def check_image(name: str) -> None:
    if name not in IMAGES and ":" not in name:
        raise SnaplabError(text("image_unknown", image=name))


def image_fingerprint(backend: Backend) -> str | None:
    from snaplab.transports import Target, connect

    if not daemon.answering(backend):
        return None
    client = connect(Target(backend.name)).client
    try:
        r = client.api.images.aliases[image.ALIAS].get()
    except NotFound:
        return None
    return str(r.json()["metadata"]["target"])


def import_image(backend: Backend, paths: list[Path], fingerprint: str) -> None:
    """Import unless the daemon holds it already, then point the alias at it.

    The image the alias pointed at before stays: it may be a user's.
    """
    if run([backend.cli, "image", "info", fingerprint], check=False):
        run([backend.cli, "image", "import", *map(str, paths)])
    run([backend.cli, "image", "alias", "delete", image.ALIAS], check=False)
    run([backend.cli, "image", "alias", "create", image.ALIAS, fingerprint])


def import_busybox(backend: Backend, built: image.Image) -> None:
    import_image(backend, [built.write(IMAGE_CACHE / "snaplab-lab.tar.gz")], built.fingerprint)


def debian_fingerprint() -> str | None:
    made = debian_image.files(IMAGE_CACHE)
    return made.fingerprint if made.exist() else None


def import_debian(backend: Backend) -> None:
    made = debian_image.files(IMAGE_CACHE)
    import_image(backend, [made.meta, made.rootfs], made.fingerprint)


def copy_remote_image(backend: Backend, remote: str) -> None:
    run([backend.cli, "image", "alias", "delete", image.ALIAS], check=False)
    run([backend.cli, "image", "copy", remote, "local:", "--alias", image.ALIAS])


def image_builder(say: Callable[[Text], None]) -> Callable[[], image.Image]:
    """Build the image at most once per run, and only when first asked for."""
    cache: list[image.Image] = []

    def get() -> image.Image:
        if not cache:
            say(
                both(
                    "    building the lab image from busybox-static",
                    "    busybox-static으로 실습 이미지를 만드는 중",
                )
            )
            cache.append(image.build())
        return cache[0]

    return get
