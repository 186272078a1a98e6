"""The lab checks' testinfra host: the `lxd://` or `incus://` backend (snaplab/infra), on the
connection `check` already holds, with every command marked as snaplab's own so the
recorder never mistakes the checks' reads for the learner's."""

from __future__ import annotations

from typing import Any

from snaplab.lab.entries import OWN_MARK


def get_host(name: str, client: Any) -> Any:
    import testinfra

    from snaplab.infra import register

    register()
    server = client.host_info["environment"].get("server", "lxd")
    return testinfra.get_host(f"{server}://{name}", client=client, mark=OWN_MARK)
