"""Trust tokens, fingerprints and the remotes file, without a daemon."""

from __future__ import annotations

import base64
import hashlib
import json
import ssl
import stat

import pytest

from snaplab import remotes
from snaplab.backends import BACKENDS, NAMES, trust_commands
from snaplab.errors import ExitCode, SnaplabError

FP = "e71d1e6a629b0d75b2d1e4471582609a83b3ab1fbb8458a974b52a2adf51c2c9"


def token(**fields: object) -> str:
    doc = {
        "client_name": "snaplab-test",
        "fingerprint": FP,
        "addresses": ["127.0.0.1:8443"],
        "secret": "c6a13c71870637b3e7b03e84108c3d4e",
        "expires_at": "0001-01-01T00:00:00Z",
        **fields,
    }
    return base64.b64encode(json.dumps(doc).encode()).decode()


@pytest.fixture
def config(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    return tmp_path / "snaplab"


def test_decode_token_as_the_daemons_print_it():
    t = remotes.decode_token(token() + "\n")
    assert t is not None
    assert t.fingerprint == FP and t.client_name == "snaplab-test"
    assert t.addresses == ("127.0.0.1:8443",) and t.secret.startswith("c6a1")


def test_decode_token_urlsafe_unpadded_and_colon_fingerprint():
    colons = ":".join(FP[i : i + 2] for i in range(0, 64, 2)).upper()
    raw = token(fingerprint=colons).replace("+", "-").replace("/", "_").rstrip("=")
    t = remotes.decode_token(raw)
    assert t is not None and t.fingerprint == FP


@pytest.mark.parametrize(
    "raw",
    [
        "a-trust-password",
        base64.b64encode(b"[1, 2]").decode(),
        token(fingerprint="abc"),
        token(fingerprint="zz" * 32),
        token(secret=""),
        base64.b64encode(json.dumps({"secret": "s"}).encode()).decode(),
    ],
)
def test_not_a_token(raw):
    assert remotes.decode_token(raw) is None


def _pem(cn: str = "server") -> str:
    return remotes.self_signed(cn, days=1)[0].decode()


def test_fingerprint_is_sha256_of_der():
    pem = _pem()
    assert remotes.fingerprint(pem) == hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem)).hexdigest()
    assert remotes.fingerprint(pem.encode()) == remotes.fingerprint(pem)


def test_check_vouched_accepts_only_the_tokens_certificate():
    pem = _pem()
    good = remotes.decode_token(token(fingerprint=remotes.fingerprint(pem)))
    assert good is not None
    remotes.check_vouched("https://127.0.0.1:8443", pem, good)
    bad = remotes.decode_token(token())
    assert bad is not None
    with pytest.raises(remotes.CertificateMismatch) as e:
        remotes.check_vouched("https://127.0.0.1:8443", pem, bad)
    assert e.value.code == ExitCode.PERMISSION
    message = str(e.value)
    assert remotes.fingerprint(pem) in message and FP in message and "\n" not in message


def test_mismatch_message_says_what_to_do():
    e = remotes.mismatch("https://127.0.0.1:8443", "classroom", "aa" * 32, "bb" * 32)
    assert e.code == ExitCode.PERMISSION
    assert str(e) == (
        f"the server at https://127.0.0.1:8443 presented certificate SHA256 {'aa' * 32}, "
        f"not the pinned {'bb' * 32}: if the server was rebuilt, "
        "`snaplab remote remove classroom` and add it again"
    )


def test_server_kind_from_untrusted_metadata():
    assert remotes.server_kind({"api_extensions": ["devlxd_events", "x"]}) == "lxd"
    assert remotes.server_kind({"api_extensions": ["dev_incus_events"]}) == "incus"
    assert remotes.server_kind({"environment": {"server": "incus"}}) == "incus"
    assert remotes.server_kind({"api_extensions": []}) is None


@pytest.mark.parametrize("backend", BACKENDS.values(), ids=NAMES)
def test_every_backend_is_told_apart_and_trusted_by_its_own_record(backend):
    """A new daemon is a new record: nothing outside it says which daemon is which."""
    meta = {"api_extensions": ["storage_zfs_remove_snapshots", f"{backend.extension_mark}_events"]}
    assert remotes.server_kind(meta) == backend.name
    body = remotes.trust_request(backend.name, "TOKEN", _pem("client"), "me")
    assert body[backend.trust_field] == "TOKEN"
    assert f"`{backend.trust_add}`" in trust_commands().en


def test_trust_request_field_per_server_kind():
    pem = _pem("client")
    lxd = remotes.trust_request("lxd", " TOKEN\n", pem, "me")
    incus = remotes.trust_request("incus", "TOKEN", pem, "me")
    assert lxd["password"] == "TOKEN" and "trust_token" not in lxd
    assert incus["trust_token"] == "TOKEN" and "password" not in incus
    assert base64.b64decode(lxd["certificate"]) == ssl.PEM_cert_to_DER_cert(pem)
    assert lxd["type"] == "client"


@pytest.mark.parametrize(
    "url, canonical",
    [
        ("https://127.0.0.1:8443", "https://127.0.0.1:8443"),
        ("https://127.0.0.1/", "https://127.0.0.1:8443"),
        ("https://[::1]:9000", "https://[::1]:9000"),
    ],
)
def test_canonical_url(url, canonical):
    assert remotes.canonical_url(url) == canonical


@pytest.mark.parametrize("url", ["http://127.0.0.1:8443", "127.0.0.1:8443", "https://h:x"])
def test_bad_urls_are_usage_errors(url):
    with pytest.raises(SnaplabError) as e:
        remotes.canonical_url(url)
    assert e.value.code == ExitCode.USAGE


def test_store_round_trip_and_lookup(config):
    r = remotes.Remote("classroom", "https://127.0.0.1:8443", "incus", "/x.crt")
    remotes.save({r.name: r})
    assert remotes.load() == {"classroom": r}
    assert remotes.find("classroom") == r
    assert remotes.find("https://127.0.0.1:8443/") == r
    with pytest.raises(SnaplabError, match="snaplab remote add") as e:
        remotes.find("https://127.0.0.1:9999")
    assert e.value.code == ExitCode.USAGE
    with pytest.raises(SnaplabError, match="no remote named"):
        remotes.find("other")


def test_client_cert_is_made_once_with_a_private_key(config):
    crt, key = remotes.client_cert()
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert "BEGIN CERTIFICATE" in crt.read_text()
    again = remotes.client_cert()
    assert again == (crt, key)
    assert remotes.fingerprint(crt.read_text()) == remotes.fingerprint(again[0].read_text())


def test_remote_messages_in_korean(config, cli):
    e = remotes.mismatch("https://127.0.0.1:8443", "classroom", "aa" * 32, "bb" * 32)
    assert e.render("ko") == (
        f"https://127.0.0.1:8443의 서버가 고정된 인증서 {'bb' * 32}이(가) 아닌 SHA256 "
        f"{'aa' * 32}을(를) 제시했습니다: 서버를 다시 만들었다면 "
        "`snaplab remote remove classroom`를 실행한 뒤 다시 추가하세요"
    )
    with pytest.raises(SnaplabError) as missing:
        remotes.find("other")
    assert missing.value.render("ko").startswith("'other'(이)라는 원격이 없습니다")
    env = {"XDG_CONFIG_HOME": str(config.parent)}
    assert cli("remote", "list", "--lang", "ko", env=env).out.startswith("저장된 원격이 없습니다")
    r = cli("remote", "remove", "other", "--lang", "ko", env=env)
    assert r.rc == ExitCode.USAGE and r.lines[0].startswith("snaplab: 'other'(이)라는 원격이")
    bad = cli("remote", "add", "c", "ftp://x", "--token", "t", "--lang", "ko", env=env)
    assert bad.lines == [
        "snaplab: 'ftp://x'은(는) HTTPS 원격 URL이 아닙니다: https://HOST[:PORT] 형식을 사용하세요"
    ]
