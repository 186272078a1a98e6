"""Whose an instance is: the labels `start` puts on the lab container, read back by `finish`.

Two keys, both copied by the daemon into every copy of the container (and into a copy
of one of its snapshots, an export's import, a `copy --refresh` to another daemon):
`user.snaplab.owner=lab:ID` says which lab made it, `user.snaplab.session=PROJECT/NAME`
which run of it. A lab may be run twice in one project (`make demo`'s snaplab-demo beside
a person's own ubuntu-test, both of the lab `snapshots`): each `finish` removes only the
instances its own run's container was copied into, never the other run's.

An instance labelled by a snaplab before the session key (only `lab:ID`) cannot tell whose
run it is from: it is the session's only when it is the session's own container (by name),
so a lab started before the upgrade still finishes, and such a copy is left.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from snaplab.instance import LABEL

if TYPE_CHECKING:
    from snaplab.lab.journal import Session

SESSION = "user.snaplab.session"
PREFIX = "lab:"


def owner_label(lab_id: str) -> str:
    return f"{PREFIX}{lab_id}"


def session_label(session: Session) -> str:
    return f"{session.project}/{session.instance}"


def labels(session: Session) -> dict[str, str]:
    """The config `start` gives the lab container."""
    return {LABEL: owner_label(session.lab), SESSION: session_label(session)}


def mine(config: Mapping[str, Any], name: str, session: Session) -> bool:
    """Whether the instance `name` with this config belongs to the session's run."""
    if config.get(LABEL) != owner_label(session.lab):
        return False
    tag = config.get(SESSION)
    if tag is None:  # an older snaplab's label: the session's own container only
        return name == session.instance
    return bool(tag == session_label(session))


def made_by(config: Mapping[str, Any]) -> tuple[str, str] | None:
    """(lab id, the run's container) of a snaplab-labelled instance, to say whose it is; the
    container is "" for an older snaplab's label. None: snaplab did not make it for a lab."""
    label = str(config.get(LABEL, ""))
    if not label.startswith(PREFIX):
        return None
    return label.removeprefix(PREFIX), str(config.get(SESSION, "")).rpartition("/")[2]
