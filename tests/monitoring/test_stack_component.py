"""The Prometheus stack component on its own: target files, a missing binary, and ``down``
stopping it whether the stack was asked for it or not (``make stop`` must)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from hub.processing import free_port
from hub.settings import Settings
from hub.stack import (
    LocalStack,
    PrometheusServer,
    PrometheusSettings,
    ToolMissing,
    register_scrape_target,
    targets_dir,
    unregister_scrape_target,
)
from hub.stack._process import port_open


@pytest.fixture
def home(tmp_path: Path) -> Settings:
    """Settings whose stack lives in ``tmp_path`` (no Kafka or registry running there)."""
    return Settings().model_copy(update={"stack_home": tmp_path})


def test_a_target_file_per_job_and_address(home: Settings) -> None:
    path = register_scrape_target(home, "dvchub-sla", "127.0.0.1:6067")
    assert json.loads(path.read_text()) == [
        {"targets": ["127.0.0.1:6067"], "labels": {"job": "dvchub-sla"}}
    ]
    assert register_scrape_target(home, "dvchub-sla", "127.0.0.1:6067") == path  # replaced
    register_scrape_target(home, "dvchub-lifecycle", "127.0.0.1:6067")
    assert len(list(targets_dir(home).glob("*.json"))) == 2
    assert unregister_scrape_target(home, "dvchub-sla", "127.0.0.1:6067")
    assert not path.exists()
    assert not unregister_scrape_target(home, "dvchub-sla", "127.0.0.1:6067")
    assert list(targets_dir(home).glob("*.tmp")) == []


def test_a_missing_binary_says_how_to_install_it(home: Settings, tmp_path: Path) -> None:
    server = PrometheusServer(home, PrometheusSettings(binary=tmp_path / "prometheus"))
    with pytest.raises(ToolMissing, match="`make system-deps` installs it"):
        server.fetch()


def test_down_stops_prometheus_even_when_not_asked_for(home: Settings) -> None:
    server = PrometheusServer(home, PrometheusSettings(port=free_port()))
    try:
        server.fetch()
    except ToolMissing as exc:
        pytest.fail(str(exc), pytrace=False)
    server.start()
    try:
        server.process.wait_ready(server.is_ready, 30)
        assert httpx.get(f"{server.address}/-/healthy", timeout=5).status_code == 200
        assert (home.stack_home / "prometheus" / "data").is_dir()  # the TSDB is under the home
    finally:
        stopped = LocalStack(home).down()
    assert stopped == ["prometheus"]
    assert server.process.pid() is None
    assert not port_open("127.0.0.1", server.options.port)
