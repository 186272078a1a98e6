"""The throwaway lxc / incus config directory `solve --remote` runs the guide's commands in.

Its layout is what `lxc remote add` (LXD 5.0.2) and `incus remote add` (Incus 6.0.4)
wrote on this host for a loopback remote: config.yml with the remote (addr, project,
protocol, public), client.crt / client.key, servercerts/NAME.crt.
"""

from __future__ import annotations

import stat
import tempfile
from pathlib import Path

import pytest
import yaml

from snaplab import remotes
from snaplab.backends import get_backend
from snaplab.errors import ExitCode, SnaplabError


@pytest.fixture
def remote(tmp_path, monkeypatch) -> remotes.Remote:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))  # cached from TMPDIR
    (tmp_path / "tmp").mkdir()
    pin = remotes.pin_path("classroom")
    pin.parent.mkdir(parents=True)
    pin.write_bytes(remotes.self_signed("server", days=1)[0])
    return remotes.Remote("classroom", "https://127.0.0.1:8443", "lxd", str(pin))


@pytest.mark.parametrize(("backend", "var"), [("lxd", "LXD_CONF"), ("incus", "INCUS_CONF")])
def test_the_remote_is_the_default_with_our_certificates(remote, tmp_path, backend, var):
    with remotes.cli_config(remote, get_backend(backend)) as env:
        assert list(env) == [var]
        where = Path(env[var])
        config = yaml.safe_load((where / "config.yml").read_text())
        assert config["default-remote"] == "classroom"
        assert config["remotes"] == {
            "classroom": {
                "addr": "https://127.0.0.1:8443",
                "project": "default",
                "protocol": backend,
                "public": False,
            }
        }
        crt, key = remotes.client_cert()
        assert (where / "client.crt").read_bytes() == crt.read_bytes()
        assert (where / "client.key").read_bytes() == key.read_bytes()
        assert stat.S_IMODE((where / "client.key").stat().st_mode) == 0o600
        assert stat.S_IMODE(where.stat().st_mode) == 0o700
        pinned = where / "servercerts" / "classroom.crt"
        assert pinned.read_bytes() == Path(remote.server_cert).read_bytes()
    assert not where.exists()
    assert list((tmp_path / "tmp").iterdir()) == []


def test_removed_when_the_commands_fail(remote, tmp_path):
    with pytest.raises(RuntimeError):
        with remotes.cli_config(remote, get_backend("lxd")):
            raise RuntimeError("a step failed")
    assert list((tmp_path / "tmp").iterdir()) == []


def test_an_unreadable_pin_is_one_line_and_nothing_is_left(remote, tmp_path):
    Path(remote.server_cert).write_text("not a certificate")
    with pytest.raises(SnaplabError) as caught:
        with remotes.cli_config(remote, get_backend("incus")):
            pytest.fail("the CLI would have run without a pin")
    assert caught.value.code == ExitCode.PERMISSION
    assert "snaplab remote remove classroom" in caught.value.render("en")
    assert "snaplab remote remove classroom" in caught.value.render("ko")
    assert list((tmp_path / "tmp").iterdir()) == []
