"""The recorder process: what ends it rather than being retried."""

from __future__ import annotations

import json

from snaplab.backends import get_backend
from snaplab.errors import ExitCode
from snaplab.i18n import both
from snaplab.lab import recorderd
from snaplab.lab.journal import Session
from snaplab.lab.model import load
from snaplab.lab.runner import record_for
from snaplab.remotes import CertificateMismatch


def test_a_server_that_is_not_the_pinned_one_ends_the_recorder_at_once(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    lab = load("snapshots")
    session = Session(lab.id, "lxd", "default", "pinned", "https://127.0.0.1:1")
    spec = tmp_path / "spec.json"
    record = record_for(lab, get_backend("lxd"), session.url)
    spec.write_text(json.dumps({"record": record.to_dict(), "sessions": [session.to_dict()]}))
    tries = []

    def refused(*args, **kwargs):
        tries.append(1)
        if len(tries) > 1:  # retried: end the loop as SIGTERM would, for the asserts to say so
            raise SystemExit(0)
        raise CertificateMismatch(both("not the pinned certificate", "고정된 인증서가 아닙니다"))

    monkeypatch.setattr(recorderd, "listen", refused)
    monkeypatch.setattr(recorderd, "daemon_logs", lambda *a, **k: None)
    assert recorderd.main(["--sessions", str(spec)]) == ExitCode.PERMISSION
    assert tries == [1]  # asked once, not retried
    assert "not the pinned certificate" in capsys.readouterr().err
