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

from snaplab import instance as api
from snaplab.classroom.roster import Learner, Roster
from snaplab.i18n import Text, both
from snaplab.transports import Connection


def token_name(roster: Roster, learner: Learner) -> str:
    return f"snaplab-{roster.name}-{learner.id}"


def make_token(roster: Roster, learner: Learner, admin: Connection) -> str:
    """A one-use token for a client certificate that can reach only this project; "" when the
    learner already uses theirs, so setup run again changes nothing."""
    name = token_name(roster, learner)
    if _certificates(admin, name):
        return ""
    revoke(admin, name)  # the earlier, unused token goes: one live token per learner
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


def _certificates(admin: Connection, name: str) -> list[str]:
    certs = api.node(admin.client, "/1.0/certificates").get(params={"recursion": 1}).json()
    return [c["fingerprint"] for c in certs["metadata"] if c.get("name") == name]


def revoke(admin: Connection, name: str, trusted: bool = False) -> list[Text]:
    """Pending tokens by that name and, with `trusted`, the certificates they became."""
    gone = []
    for fp in _certificates(admin, name) if trusted else []:
        api.node(admin.client, f"/1.0/certificates/{fp}").delete()
        gone.append(both(f"certificate {fp[:12]}", f"인증서 {fp[:12]}"))
    ops = api.node(admin.client, "/1.0/operations").get(params={"recursion": 1}).json()
    for op in (ops["metadata"] or {}).get("running", []) or []:
        request = (op.get("metadata") or {}).get("request") or {}
        if op.get("class") == "token" and request.get("name") == name:
            api.node(admin.client, f"/1.0/operations/{op['id']}").delete()
            gone.append(both("unused token", "쓰지 않은 토큰"))
    return gone
