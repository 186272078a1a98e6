"""The public check API: what a lab's checks may use, in one place.

A pack's `checks/test_<id>.py` imports from here and nowhere else in snaplab, and gets
the fixtures below from snaplab's pytest plugin. Both stay as they are across snaplab's
redesigns; anything else inside snaplab may move. Rules that two labs share live here
too, so that no check module imports another lab's.

Fixtures (snaplab/pytest_plugin.py), for a test marked `@pytest.mark.step("STEP-ID")`:
- `history`: what the session's journal proves happened (snaplab/lab/history.py):
  `history.first(action, after=, before=, snapshot=, name=, where=)` (name=: another
  resource the lab records, `record.others`; none: the lab container), `history.events(...)`,
  `history.sightings(path)`, `history.running_at(when)`, `history.existed(snapshot, when)`,
  `history.same_instance`, and `history.live`, what the daemon showed as grading began
  (`.status`, `.snapshots`, `.files`, `.protected`).
- `step`: the step's place in the lab's order: `step.since` (when the previous step
  was proven), `step.at(earlier_id)`, `step.proven(when)` (None fails the step),
  `step.done()` for a step proven by what the daemon shows now, and
  `step.fails(reason, **names)`.
- `snapshot`: the snapshot the learner used; `params`: the lab's parameters, filled
  (`params.instance`, `params.cli`, the lab's own).
- `container`: the lab container as a testinfra host; `local`: this machine as a
  testinfra host, as the user who grades; `daemons`: the primary (`daemons["primary"]`)
  and the lab's other daemons by role, as pylxd clients; `project`: the learner's project.

A failed check reports the step's `fail` text and `hint` from lab.yaml, never the assert, or
with `step.fails(reason, **names)` a reason's own text and hint (lab.yaml `reasons`).

Helpers: `STOPPED` (the actions that stop a container), `TICK` (the daemon clock's
resolution), `EXEC_ENDED` (the journal's action for the end of a shell in the container),
`parse_time` (a daemon's timestamp), `remote_trusted` (chapters 9 and 10).
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from snaplab.lab.entries import EXEC_ENDED
from snaplab.lab.history import STOPPED, TICK
from snaplab.lab.journal import parse_time

__all__ = ["EXEC_ENDED", "STOPPED", "TICK", "parse_time", "remote_trusted"]


def remote_trusted(local: Any, params: Any) -> bool:
    """The learner's client has the remote `params.remote`, at the snapshot server's address
    (`params.listen`), and the server trusts this very client (the token was used): asked
    through the remote itself. Chapters 9 and 10 both need it."""
    listed = local.check_output(f"{params.cli} remote list --format csv")
    urls = {row[0].split(" ")[0]: row[1] for row in csv.reader(io.StringIO(listed)) if row}
    if not urls.get(params.remote, "").endswith(params.listen):
        return False
    asked = local.run(f"{params.cli} query {params.remote}:/1.0")
    return asked.rc == 0 and json.loads(asked.stdout).get("auth") == "trusted"
