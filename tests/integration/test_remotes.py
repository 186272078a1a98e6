"""HTTPS remotes for real: token trust and a pinned server certificate, LXD and Incus.

Each backend gets a spare daemon listening on 127.0.0.1:<free port> (never another
address; the main daemons are not touched). snaplab's config, client certificate
and pins live in a temporary HOME for the module.
"""

from __future__ import annotations

import base64
import json
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from snaplab import remotes
from snaplab.errors import ExitCode
from tests.conftest import snaplab
from tests.integration.spare import Spare

pytestmark = pytest.mark.integration

BACKENDS = ["lxd", "incus"]


@pytest.fixture(scope="module")
def home() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="snaplab-remotes-home-", dir="/tmp"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def env(home: Path) -> dict[str, str]:
    return {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_STATE_HOME": str(home / "state"),
    }


@pytest.fixture(scope="module", params=BACKENDS)
def added(request, spares, env) -> tuple[Spare, str]:
    """`snaplab remote add` on a fresh token: the remote's name, once per backend."""
    spare = spares.get(request.param, "https")
    name = f"spare-{request.param}"
    r = snaplab(
        "remote", "add", name, spare.url, "--token", spare.trust_token("snaplab-test"), env=env
    )
    assert r.rc == 0, r.err
    assert "trusted" in r.out and "pinned" in r.out
    return spare, name


def other_certificate() -> bytes:
    return remotes.self_signed("impostor", days=1)[0]


def pin(home: Path, name: str) -> Path:
    return home / ".config" / "snaplab" / "servercerts" / f"{name}.crt"


def test_remote_add_stores_and_doctor_is_trusted(added, env, home):
    spare, name = added
    listed = json.loads(snaplab("remote", "list", "--json", env=env).out)["remotes"]
    mine = [r for r in listed if r["name"] == name]
    assert mine and mine[0]["url"] == spare.url and mine[0]["backend"] == spare.backend.name
    key = home / ".config" / "snaplab" / "client.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600

    r = snaplab("doctor", "--backend", spare.backend.name, "--remote", name, "--json", env=env)
    checks = {c["id"]: c for c in json.loads(r.out)["reports"][0]["checks"]}
    assert checks["api"]["status"] == "PASS", checks["api"]
    assert "auth trusted" in checks["api"]["detail"]
    assert checks["probe"]["status"] == "PASS", checks["probe"]
    assert r.rc == 0, r.out  # dir pool is a WARN, everything else passes


def test_token_for_another_certificate_is_refused(added, env):
    spare, name = added
    token = spare.trust_token("snaplab-test-tampered")
    doc = json.loads(base64.b64decode(token))
    doc["fingerprint"] = "ab" * 32
    tampered = base64.b64encode(json.dumps(doc).encode()).decode()
    r = snaplab("remote", "add", f"{name}-x", spare.url, "--token", tampered, env=env)
    assert r.rc == ExitCode.PERMISSION, r.err
    assert len(r.lines) == 1 and "ab" * 32 in r.lines[0] and "not trusting" in r.lines[0]
    listed = json.loads(snaplab("remote", "list", "--json", env=env).out)["remotes"]
    assert f"{name}-x" not in {r["name"] for r in listed}


def test_replaced_pin_refuses_every_connection(added, env, home):
    spare, name = added
    path = pin(home, name)
    original = path.read_bytes()
    path.write_bytes(other_certificate())  # well-formed, but not this server's
    try:
        for argv in (
            ("doctor", "--backend", spare.backend.name, "--remote", name),
            ("check", "snapshots", "--remote", name, "--instance", "snaplab-remote-test"),
        ):
            r = snaplab(*argv, env=env)
            assert r.rc == ExitCode.PERMISSION, (argv, r.err)
            assert len(r.lines) == 1, r.err
            assert "not the pinned" in r.lines[0] and f"snaplab remote remove {name}" in r.lines[0]
    finally:
        path.write_bytes(original)
    r = snaplab("doctor", "--backend", spare.backend.name, "--remote", name, env=env)
    assert r.rc == 0, r.out + r.err


def test_url_without_a_stored_remote_is_refused(added, env):
    spare, _ = added
    r = snaplab("doctor", "--backend", spare.backend.name, "--remote", spare.url, env=env)
    # a stored URL resolves to its remote; an unknown one is refused with the hint
    assert r.rc == 0, r.err
    r = snaplab("doctor", "--remote", "https://127.0.0.1:1", env=env)
    assert r.rc == ExitCode.USAGE
    assert len(r.lines) == 1 and "snaplab remote add" in r.lines[0]


def test_remote_remove(added, env, home):
    spare, name = added
    r = snaplab("remote", "remove", name, env=env)
    assert r.rc == 0, r.err
    assert not pin(home, name).exists()
    r = snaplab("doctor", "--remote", name, env=env)
    assert r.rc == ExitCode.USAGE and "remote add" in r.err
