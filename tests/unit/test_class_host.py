"""What `class setup`/`teardown` read once per daemon: the trust by name, the root disk."""

from __future__ import annotations

from snaplab.classroom.projects import root_disk
from snaplab.classroom.tokens import by_name


def test_certificates_and_pending_tokens_are_found_by_name():
    certs = [
        {"name": "snaplab-ko101-kim", "fingerprint": "aa"},
        {"name": "admin-laptop", "fingerprint": "bb"},
        {"name": "snaplab-ko101-kim", "fingerprint": "cc"},
    ]
    ops = {
        "running": [
            {"id": "op1", "class": "token", "metadata": {"request": {"name": "snaplab-ko101-lee"}}},
            {"id": "op2", "class": "task", "metadata": {"request": {"name": "snaplab-ko101-lee"}}},
            {"id": "op3", "class": "token", "metadata": None},
        ]
    }
    trust = by_name(certs, ops)
    assert trust.certificates["snaplab-ko101-kim"] == ["aa", "cc"]
    assert trust.tokens == {"snaplab-ko101-lee": ["op1"]}  # a task is not a token


def test_no_operations_at_all():
    assert by_name([], None).tokens == {}
    assert by_name([], {"running": None}).tokens == {}


def test_the_root_disk_is_the_disk_at_slash():
    devices = {
        "data": {"type": "disk", "path": "/srv", "pool": "other"},
        "root": {"type": "disk", "path": "/", "pool": "default", "size": "1GiB"},
    }
    assert root_disk(devices) == {"type": "disk", "path": "/", "pool": "default"}
    assert root_disk({"eth0": {"type": "nic"}}) is None
