"""The recorder answers `check` only with the checks it can still stand behind."""

import os
import time

from snaplab.lab.channel import stale


def test_a_check_module_written_after_the_recorder_began_is_stale(tmp_path):
    """After an upgrade the recorder's pytest still holds the old module: grade elsewhere."""
    checks = tmp_path / "test_lab.py"
    checks.write_text("")
    began = time.time()
    os.utime(checks, (began - 60, began - 60))
    assert not stale(checks, began)
    os.utime(checks, (began + 5, began + 5))
    assert stale(checks, began)
    assert stale(tmp_path / "gone.py", began)  # nothing to vouch for
