"""The Prometheus files, checked the way Prometheus people check them: ``promtool``.

Both configs (docker-compose's static one, the local stack's generated one), the rules, and the
rules' unit tests (``alerts.test.yml``: each alert fires on its series, after its ``for``).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from hub.settings import Settings
from hub.stack import PrometheusServer, PrometheusSettings, register_scrape_target
from hub.stack._prometheus import ALERT_RULES, INFRA
from tests.monitoring._support import alert_names

PROMTOOL = Path("/usr/bin/promtool")


def promtool(*args: str | Path) -> str:
    if not PROMTOOL.is_file():
        hint = "`make system-deps` installs it (Debian's `prometheus` package)"
        pytest.fail(f"{PROMTOOL} is missing: {hint}", pytrace=False)
    result = subprocess.run(
        [str(PROMTOOL), *map(str, args)], capture_output=True, text=True, check=False, timeout=60
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"promtool {' '.join(map(str, args))}:\n{output}"
    return output


def test_the_compose_config_is_valid() -> None:
    output = promtool("check", "config", INFRA / "prometheus.yml")
    assert "1 rule files found" in output
    assert f"{len(alert_names())} rules found" in output


def test_the_local_stack_config_is_valid(tmp_path: Path) -> None:
    settings = Settings().model_copy(update={"stack_home": tmp_path})
    register_scrape_target(settings, "dvchub-lifecycle", "127.0.0.1:6066")
    config = PrometheusServer(settings, PrometheusSettings(port=19999)).write_config()
    output = promtool("check", "config", config)
    assert "WARNING" not in output, output  # the targets glob matches the registered file
    assert str(ALERT_RULES) in output  # the same rules file as docker-compose's


def test_the_rules_are_valid_and_lint_clean() -> None:
    output = promtool("check", "rules", "--lint=all", "--lint-fatal", ALERT_RULES)
    assert f"SUCCESS: {len(alert_names())} rules found" in output


def test_the_rule_unit_tests_pass() -> None:
    assert "SUCCESS" in promtool("test", "rules", INFRA / "alerts.test.yml")


def test_every_alert_has_a_unit_test() -> None:
    tested = set(re.findall(r"alertname:\s*(\w+)", (INFRA / "alerts.test.yml").read_text()))
    assert alert_names() - tested == set()
