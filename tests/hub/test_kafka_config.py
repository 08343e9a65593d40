"""How a process logs in to Kafka in production (SASL_SSL with a real password, or refused), and
how long the hub's topics keep their records.

No broker needed: every refusal happens before a connection is made, and the real worker
command is run to show it refuses to start with one line naming the setting."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import SecretStr

from hub.kafka import (
    KafkaSecurityError,
    faust_credentials,
    java_client_properties,
    librdkafka_config,
    security_config,
)
from hub.secrets import DEV_FLAG
from hub.settings import REPO_ROOT, Settings

LONG = "a-password-of-forty-characters-or-so-xyz"


@pytest.fixture
def production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DEV_FLAG, raising=False)


def _remote(**update: object) -> Settings:
    return Settings().model_copy(
        update={"bootstrap_servers_override": "kafka.example:9093", "kafka_username": "api",
                "kafka_password": SecretStr(LONG), "kafka_password_file": None, **update}
    )  # fmt: skip


@pytest.mark.usefixtures("production")
@pytest.mark.parametrize(
    "configure",
    [security_config, faust_credentials, librdkafka_config, java_client_properties],
    ids=["kafka-python", "faust", "librdkafka", "java"],
)
def test_plaintext_is_refused_in_production_by_every_client(configure: object) -> None:
    plain = _remote(kafka_security_protocol="PLAINTEXT")
    with pytest.raises(KafkaSecurityError, match="DVC_KAFKA_ALLOW_PLAINTEXT"):
        configure(plain)  # type: ignore[operator]
    configure(plain.model_copy(update={"kafka_allow_plaintext": True}))  # type: ignore[operator]


def test_plaintext_is_allowed_in_development() -> None:
    assert os.environ.get(DEV_FLAG) == "1"  # tests/conftest.py
    assert security_config(_remote(kafka_security_protocol="PLAINTEXT")) == {}


@pytest.mark.parametrize(
    ("password", "problem"), [("", "DVC_KAFKA_PASSWORD"), ("short-pw", "shorter than 16")]
)
def test_a_weak_password_is_refused_without_being_shown(password: str, problem: str) -> None:
    weak = _remote(kafka_password=SecretStr(password))
    with pytest.raises(KafkaSecurityError, match=problem) as refused:
        security_config(weak)
    assert not password or password not in str(refused.value)
    assert security_config(_remote())["sasl_plain_password"] == LONG


def test_a_worker_refuses_to_start_on_plaintext_in_production(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DVC_")}
    env |= {"DVC_KAFKA_SECURITY_PROTOCOL": "PLAINTEXT", "DVC_BOOTSTRAP_SERVERS": "127.0.0.1:9",
            "DVC_STATE_DIR": str(tmp_path)}  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "hub.processing", "worker", "lifecycle", "--no-web"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr[-2000:]
    assert "refusing to start" in done.stderr
    assert "DVC_KAFKA_ALLOW_PLAINTEXT" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_records_later_checks_rely_on_are_kept_forever() -> None:
    """The event log, the dead letters and the partners' outcomes (a VNPost callback weeks after
    the order is checked against its outcome) have no time limit; compacted state needs none."""
    from hub.kafka import topic_config
    from hub.topics import DEADLETTER, DOSSIER_EVENTS, DOSSIER_STATE, PARTNER_OUTCOMES, SLA_ALERTS

    for spec in (DOSSIER_EVENTS, DEADLETTER, PARTNER_OUTCOMES):
        assert topic_config(spec)["retention.ms"] == "-1", spec.suffix
    assert "retention.ms" not in topic_config(SLA_ALERTS)
    assert topic_config(DOSSIER_STATE) == {"cleanup.policy": "compact"}
