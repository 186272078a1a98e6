"""snaplab's pytest plugin as a pytest user meets it first: `pytest --help`."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    "lang, said", [("en", "grade every learner of this class roster"), ("ko", "학습자를 모두 채점")]
)
def test_the_plugins_options_are_explained_in_the_readers_language(lang, said):
    env = {**os.environ, "SNAPLAB_LANG": lang}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--help", "-p", "no:cacheprovider"],
        capture_output=True,
        text=True,
        env=env,
        cwd="/tmp",
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "--lab-roster" in done.stdout
    assert said in " ".join(done.stdout.split())
