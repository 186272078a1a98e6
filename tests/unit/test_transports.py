"""The proxies a connection uses, read once from the environment (see transports.proxies)."""

from __future__ import annotations

import pytest

from snaplab.transports import Target, proxies


def test_a_unix_socket_has_no_proxy(monkeypatch):
    monkeypatch.setenv("https_proxy", "http://proxy.invalid:3128")
    assert proxies(Target("lxd")) == {}


def test_an_https_daemon_gets_the_environment_proxy_unless_no_proxy_names_it(monkeypatch):
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY", "no_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("https_proxy", "http://proxy.invalid:3128")
    assert proxies(Target("lxd", "https://10.0.0.5:8443"))["https"] == "http://proxy.invalid:3128"
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    assert proxies(Target("lxd", "https://127.0.0.1:8443")) == {}


@pytest.mark.parametrize("url", [None, "https://127.0.0.1:8443"])
def test_no_proxy_in_the_environment_means_none(monkeypatch, url):
    for name in ("https_proxy", "http_proxy", "all_proxy", "HTTPS_PROXY", "HTTP_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("ALL_PROXY", raising=False)
    assert proxies(Target("lxd", url)) == {}


def test_a_session_is_ready_before_the_clients_first_request(monkeypatch):
    """pylxd's Client asks the daemon as it is made: by then the session must not walk
    os.environ (another thread may be changing it) and must carry snaplab's own word."""
    import requests

    from snaplab.transports import OWN_QUERY, prepared

    monkeypatch.setenv("https_proxy", "http://proxy.invalid:3128")
    session = prepared(requests.Session(), Target("lxd", "https://10.0.0.5:8443"))
    assert session.trust_env is False
    assert session.params == {OWN_QUERY: "1"}
    assert session.proxies["https"] == "http://proxy.invalid:3128"
    assert prepared(requests.Session(), Target("lxd")).proxies == {}
