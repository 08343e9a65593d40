"""The local stack: real components, idempotent start, and clear errors."""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dvchub.cli import app
from hub.settings import Settings
from hub.stack import LocalStack, NotReady, PortInUse, ToolMissing
from hub.stack._kafka import new_cluster_id
from hub.stack._maven import copy_dependencies
from hub.stack._process import ManagedProcess


def test_both_components_are_ready(stack_settings: Settings) -> None:
    statuses = {s.name: s for s in LocalStack(stack_settings).status()}
    assert set(statuses) == {"kafka", "registry"}
    assert all(s.ready and s.pid for s in statuses.values())


def test_second_up_is_a_no_op(stack_settings: Settings) -> None:
    stack = LocalStack(stack_settings)
    before = {s.name: s.pid for s in stack.status()}
    after = stack.up()
    assert {s.name: s.pid for s in after} == before
    assert all(s.started_in_s is None for s in after)


def test_cli_status_reports_ready(stack_settings: Settings) -> None:
    result = CliRunner().invoke(app, ["stack", "status"])
    assert result.exit_code == 0, result.output
    assert "ready" in result.output


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def test_port_in_use_is_refused_with_the_port_named(tmp_path: Path, taken_port: int) -> None:
    process = ManagedProcess("registry", tmp_path)
    with pytest.raises(PortInUse, match=f"127.0.0.1:{taken_port} is already in use"):
        process.start(
            [sys.executable, "-c", "pass"], cwd=tmp_path, ports=[("127.0.0.1", taken_port)]
        )
    assert process.pid() is None


def test_component_that_dies_while_starting_shows_its_log(tmp_path: Path) -> None:
    process = ManagedProcess("kafka", tmp_path)
    script = f"print('ERROR Exiting Kafka: {tmp_path} is not formatted'); raise SystemExit(1)"
    process.start([sys.executable, "-c", script], cwd=tmp_path, ports=[])
    with pytest.raises(NotReady, match="is not formatted"):
        process.wait_ready(lambda: False, timeout_s=20)


def test_component_not_ready_in_time_shows_its_log(tmp_path: Path) -> None:
    process = ManagedProcess("registry", tmp_path)
    script = f"import time; print('waiting for {tmp_path}', flush=True); time.sleep(60)"
    process.start([sys.executable, "-c", script], cwd=tmp_path, ports=[])
    try:
        with pytest.raises(NotReady, match=r"not ready after 2 s(.|\n)*waiting for"):
            process.wait_ready(lambda: False, timeout_s=2)
    finally:
        assert process.stop(timeout_s=5)
    assert process.pid() is None


def test_missing_maven_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ToolMissing, match="`mvn` is not on PATH"):
        copy_dependencies(tmp_path / "pom.xml", tmp_path / "out", marker=".fetched")


def test_a_recycled_pid_is_not_taken_for_ours(tmp_path: Path) -> None:
    process = ManagedProcess("kafka", tmp_path)
    tmp_path.mkdir(exist_ok=True)
    # Our own pytest process is alive, but it did not start at the recorded time.
    process.pid_file.write_text(f"{os.getpid()} 1")
    assert process.pid() is None
    assert not process.pid_file.exists()


def test_cluster_ids_never_look_like_an_option() -> None:
    ids = [new_cluster_id() for _ in range(5000)]  # ~78 would start with '-' unguarded
    assert all(not i.startswith("-") and len(i) == 22 for i in ids)
    assert len(set(ids)) == len(ids)


def test_cli_env_prints_a_service_s_login_and_no_password() -> None:
    result = CliRunner().invoke(app, ["stack", "env", "lifecycle"])
    assert result.exit_code == 0, result.output
    lines = dict(line.removeprefix("export ").split("=", 1) for line in result.output.splitlines())
    assert lines["DVC_KAFKA_USERNAME"] == "lifecycle"
    assert lines["DVC_KAFKA_PASSWORD_FILE"].endswith("/kafka/security/users/lifecycle.password")
    assert "DVC_KAFKA_PASSWORD" not in lines
    assert CliRunner().invoke(app, ["stack", "env", "mallory"]).exit_code == 2
