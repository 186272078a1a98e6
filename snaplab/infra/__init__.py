"""testinfra hosts for LXD and Incus containers: `--hosts=lxd://NAME`, `--hosts=incus://NAME`.

pytest-testinfra's own `lxc://` backend shells out to the `lxc` binary (LXD only, local only,
a process per command) and it has no Incus backend. These run commands over the daemon's
REST API instead, over the local socket or a stored HTTPS remote, so the stock modules
(`host.file`, `host.run`, `host.process`, ...) work against a container on either daemon:

    pytest --hosts='incus://ubuntu-test'
    pytest --hosts='lxd://web?project=ko101-kim'
    pytest --hosts='lxd://web?remote=classroom'    # added by `snaplab remote add`

`host.file(...)` on them is answered by the daemon's files API, running nothing inside
(snaplab/infra/files.py). As testinfra does, one name -> class map; `register()` is called by snaplab's pytest plugin.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

BACKENDS = {
    "lxd": "snaplab.infra.api.LxdBackend",
    "incus": "snaplab.infra.api.IncusBackend",
}
QUERY = ("project", "remote")  # what our host specs take after `?`


def register() -> None:
    """Add the schemes to testinfra's map, and let its host-spec parser pass our query on.

    testinfra's parser keeps only the query keys it knows; ours are read from the same spec.
    """
    import testinfra.backend

    testinfra.backend.BACKENDS.update(BACKENDS)
    parse = testinfra.backend.parse_hostspec
    if getattr(parse, "snaplab", False):
        return

    def parse_hostspec(hostspec: str) -> tuple[str, dict[str, Any]]:
        host, kw = parse(hostspec)
        if kw.get("connection") in BACKENDS:
            query = parse_qs(urlsplit(hostspec).query)
            kw.update({k: query[k][0] for k in QUERY if k in query})
        return host, kw

    parse_hostspec.snaplab = True  # type: ignore[attr-defined]
    testinfra.backend.parse_hostspec = parse_hostspec
    _file_module()


def _file_module() -> None:
    """`host.file(...)` on our hosts asks the files API (snaplab/infra/files.py), not a
    command per question; on any other host it is testinfra's own."""
    import testinfra.modules.file as module

    chosen = module.File.get_module_class
    if getattr(chosen, "snaplab", False):
        return

    def get_module_class(cls: type, host: Any) -> type:
        from snaplab.infra.api import ApiBackend

        if isinstance(host.backend, ApiBackend):
            from snaplab.infra.files import ApiFile

            return ApiFile
        return chosen(host)

    get_module_class.snaplab = True  # type: ignore[attr-defined]
    module.File.get_module_class = classmethod(get_module_class)
