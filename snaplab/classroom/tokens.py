"""Trust tokens for the shared host: one per learner, good for one client certificate, one project.

A learner reaches only their own project through a token restricted to it
(`restricted: true, projects: [P]`): both LXD 5.0 and Incus 6.0 take it, the
learner needs no Unix account on the host, and a learner on a laptop and one on
the host itself use it alike. (`lxd-user` / `incus-user` also give per-user
projects, but only to Unix users of the host, over its socket.) Tokens and the
certificates they become are named `snaplab-CLASS-ID`, so teardown finds only its own.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from pylxd.exceptions import NotFound

from snaplab import instance as api
from snaplab.classroom.roster import Learner, Roster
from snaplab.i18n import Text, both
from snaplab.transports import Connection


@dataclass(frozen=True)
class Trust:
    """The host's certificates and pending tokens by name, read once for a whole class: read
    for each learner, they cost two requests each, and the pending tokens grow with the class
    (the 200th learner's read lists 199 tokens)."""

    certificates: dict[str, list[str]]  # name -> fingerprints
    tokens: dict[str, list[str]]  # name -> ids of the pending token operations


def by_name(certificates: list[dict[str, Any]], operations: dict[str, Any] | None) -> Trust:
    """The daemon's `certificates?recursion=1` and `operations?recursion=1` metadata, by name."""
    certs: dict[str, list[str]] = {}
    for c in certificates:
        certs.setdefault(c.get("name") or "", []).append(c["fingerprint"])
    tokens: dict[str, list[str]] = {}
    for op in (operations or {}).get("running", []) or []:
        request = (op.get("metadata") or {}).get("request") or {}
        if op.get("class") == "token" and request.get("name"):
            tokens.setdefault(request["name"], []).append(op["id"])
    return Trust(certs, tokens)


def read_trust(admin: Connection) -> Trust:
    certs = api.node(admin.client, "/1.0/certificates").get(params={"recursion": 1}).json()
    ops = api.node(admin.client, "/1.0/operations").get(params={"recursion": 1}).json()
    return by_name(certs["metadata"] or [], ops["metadata"])


def token_name(roster: Roster, learner: Learner) -> str:
    return f"snaplab-{roster.name}-{learner.id}"


def make_token(
    roster: Roster, learner: Learner, admin: Connection, trust: Trust | None = None
) -> str:
    """A one-use token for a client certificate that can reach only this project; "" when the
    learner already uses theirs, so setup run again changes nothing. `trust`: the host as
    read once for the class (else read now)."""
    name = token_name(roster, learner)
    trust = trust or read_trust(admin)
    if trust.certificates.get(name):
        return ""
    revoke(admin, name, trust=trust)  # the earlier, unused token goes: one live token per learner
    response = admin.client.api.certificates.post(
        json={
            "name": name,
            "type": "client",
            "token": True,
            "restricted": True,
            "projects": [learner.project],
        }
    ).json()
    meta = response["metadata"]["metadata"]
    doc = {
        "client_name": name,
        "fingerprint": meta["fingerprint"],
        "addresses": meta["addresses"],
        "secret": meta["secret"],
        "expires_at": meta.get("expiresAt") or "0001-01-01T00:00:00Z",
    }
    return base64.b64encode(json.dumps(doc).encode()).decode()


def revoke(
    admin: Connection, name: str, trusted: bool = False, trust: Trust | None = None
) -> list[Text]:
    """Pending tokens by that name and, with `trusted`, the certificates they became. One
    that went since `trust` was read (used, expired, revoked) is gone already: fine."""
    trust = trust or read_trust(admin)
    gone = []
    for fp in trust.certificates.get(name, []) if trusted else []:
        if _delete(admin, f"/1.0/certificates/{fp}"):
            gone.append(both(f"certificate {fp[:12]}", f"인증서 {fp[:12]}"))
    for op in trust.tokens.get(name, []):
        if _delete(admin, f"/1.0/operations/{op}"):
            gone.append(both("unused token", "쓰지 않은 토큰"))
    return gone


def _delete(admin: Connection, path: str) -> bool:
    try:
        api.node(admin.client, path).delete()
    except NotFound:
        return False
    return True
