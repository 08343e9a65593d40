"""The demo's console tells the story: no log line, warning or traceback of a background client
reaches it (they go to the log file), and a section that fails says so with the log's path."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from hub.settings import REPO_ROOT, Settings
from tests.demo_console._one_section import FAILURE

#: What is not the story: a JSON log line, a rendered log record, a Python warning, a traceback.
_STRAY = re.compile(
    r'^\s*\{"|\[(?:warning|error|critical)\s*\]|Warning\b|Traceback|^\s*File "', re.MULTILINE
)


@pytest.mark.timeout(300)
def test_a_section_and_background_noise_leave_the_console_to_the_story(
    settings: Settings, tmp_path: Path
) -> None:
    log = tmp_path / "demo.log"
    env = {**os.environ, "DVC_TOPIC_PREFIX": settings.topic_prefix, "DVC_LOG_LEVEL": ""}
    done = subprocess.run(
        [sys.executable, "-m", "tests.demo_console._one_section", str(log)],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip
    console = done.stdout + done.stderr
    assert "The desks' own work, March 2025" in done.stdout, console[-3000:]
    assert not _STRAY.findall(console), console[-3000:]
    assert done.stderr == "", done.stderr[-3000:]
    # the failing section: named on the console with the log, exit status 1, traceback logged
    assert done.returncode == 1, console[-3000:]
    assert f"the demo failed in section 'A section that fails': RuntimeError: {FAILURE}" in (
        done.stdout
    )
    assert f"the traceback is in {log}" in done.stdout
    logged = log.read_text(encoding="utf-8")
    assert f"RuntimeError: {FAILURE}" in logged
    # and what the background did is in the log, not lost
    assert "a library's warning" in logged
    assert "Metadata refresh: failed Cancelled" in logged
    assert "ZeroDivisionError: a client thread died" in logged
