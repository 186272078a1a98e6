"""`class setup` run again reads the host once for the class (projects, certificates, pending
tokens) and still does per learner what it did: the unused token replaced by one new one, no
new token for a learner whose certificate is in use, the running lab left alone; teardown then
removes the certificate too. Two learners on the LXD classroom spare: a few seconds."""

from __future__ import annotations

import csv
import json
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.conftest import snaplab
from tests.integration.spare import free_address

pytestmark = pytest.mark.integration


def tokens(spare, name: str) -> list[str]:
    ops = json.loads(spare.cli("query", "/1.0/operations?recursion=1").stdout) or {}
    return [
        op["id"]
        for op in ops.get("running") or []
        if op.get("class") == "token"
        and (op.get("metadata") or {}).get("request", {}).get("name") == name
    ]


def test_setup_again_replaces_unused_tokens_and_spares_used_ones(spares):
    spare = spares.get("lxd", "classroom")
    home = Path(tempfile.mkdtemp(prefix="snaplab-again-", dir="/tmp"))
    env = {**spare.env, "HOME": str(home), "XDG_STATE_HOME": str(home / "state")}
    env |= {"XDG_CONFIG_HOME": str(home / "config"), "SNAPLAB_LANG": "en"}
    roster = home / "again.csv"
    roster.write_text("id,name,target,backend\nkim,Kim,local,lxd\nlee,Lee,local,lxd\n")
    access = home / "state" / "snaplab" / "class-again" / "access.csv"
    try:
        r = snaplab("class", "setup", str(roster), "--listen", free_address(), env=env)
        assert r.rc == 0, r.err + r.out
        first = {a["id"]: a["token"] for a in csv.DictReader(open(access))}
        kim_env = {**env, "XDG_CONFIG_HOME": str(home / "kim")}
        r = snaplab("remote", "add", "classroom", spare.url, "--token", first["kim"], env=kim_env)
        assert r.rc == 0, r.err

        r = snaplab("class", "setup", str(roster), "--json", env=env)
        assert r.rc == 0, r.err + r.out
        done = {d["id"]: d["actions"] for d in json.loads(r.out)["learners"]}
        assert done == {"kim": [], "lee": ["token"]}  # projects and labs were there already
        again = {a["id"]: a["token"] for a in csv.DictReader(open(access))}
        assert list(again) == ["lee"] and again["lee"] != first["lee"]
        assert len(tokens(spare, "snaplab-again-lee")) == 1  # the first one was revoked
        assert tokens(spare, "snaplab-again-kim") == []

        r = snaplab("class", "teardown", str(roster), env=env)
        assert r.rc == 0, r.err + r.out
        certs = spare.cli("config", "trust", "list", "--format", "csv").stdout
        assert "snaplab-again-" not in certs
        assert tokens(spare, "snaplab-again-lee") == []
    finally:
        snaplab("class", "teardown", str(roster), env=env)
        shutil.rmtree(home, ignore_errors=True)
