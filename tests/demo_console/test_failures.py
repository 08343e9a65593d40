"""A demo section that fails says so on the console, with the log file's path."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest

from dvchub.demo import _console
from dvchub.demo._console import DemoConsole, failures_reported


def test_a_failing_section_is_named_with_the_log_and_exits_1(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    out = io.StringIO()
    console = DemoConsole(file=out, width=200)
    monkeypatch.setattr(_console, "console", console)
    log = tmp_path / "demo.log"
    with (  # noqa: PT012 - the section's rule, then its failure
        caplog.at_level(logging.ERROR),
        pytest.raises(SystemExit) as exit_info,
        failures_reported(log),
    ):
        console.rule("[bold]SLA: working-day deadlines")
        # a message quoting a citizen's phone number and rich-markup-like brackets
        raise RuntimeError("portal refused [bold]0912345678[/bold]")
    assert exit_info.value.code == 1
    text = out.getvalue()
    assert "the demo failed in section 'SLA: working-day deadlines': RuntimeError" in text
    assert f"the traceback is in {log}" in text
    assert "0912345678" not in text  # redacted as a log line would be
    assert "[bold]" in text  # printed as text, not taken for markup
    assert "Traceback" not in text  # the traceback goes to the log
    (record,) = [r for r in caplog.records if r.name == "dvchub.demo"]
    assert record.exc_info is not None
    assert record.exc_info[0] is RuntimeError


def test_nothing_is_reported_when_the_demo_succeeds(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    out = io.StringIO()
    monkeypatch.setattr(_console, "console", DemoConsole(file=out, width=200))
    with failures_reported(tmp_path / "demo.log"):
        pass
    assert out.getvalue() == ""
