"""A check module run inside snaplab's process: its prints never reach snaplab's output."""

from __future__ import annotations

import subprocess
import sys
import textwrap

RUN = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from snaplab import inprocess

    class Seen:
        outcomes = []

        def pytest_runtest_logreport(self, report):
            if report.when == "call":
                self.outcomes.append(report.outcome)

    seen = Seen()
    code = inprocess.run(Path(sys.argv[1]), seen)
    print("RESULT", code, seen.outcomes)
    """
)


def test_a_checks_prints_stay_off_stdout_and_stderr(tmp_path):
    module = tmp_path / "test_loud.py"
    module.write_text(
        "import sys\n"
        "def test_loud():\n"
        "    print('LEAK-OUT')\n"
        "    print('LEAK-ERR', file=sys.stderr)\n"
        "def test_fails_loudly():\n"
        "    print('LEAK-FAIL')\n"
        "    assert False\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", RUN, str(module)], capture_output=True, text=True, timeout=60
    )
    assert done.stdout.strip() == "RESULT 1 ['passed', 'failed']", done.stdout + done.stderr
    assert "LEAK" not in done.stderr
