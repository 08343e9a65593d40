"""Secure by default: the evidence log is on in production unless said off, off on a development
machine unless said on; the stamper and the archiver refuse to start without the TSA and the
key they need (the recorders need neither, so the partner-facing processes never hold the key).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.evidence import EvidenceConfig
from hub.secrets import DEV_FLAG
from tests.hub.test_secrets import DVCHUB, production_env, refused

TSA = "http://tsa.example.invalid/tsr"


@pytest.mark.parametrize(
    ("env", "enabled"),
    [
        ({}, True),  # production: on
        ({"DVC_EVIDENCE": "off"}, False),  # production, said off
        ({DEV_FLAG: "1"}, False),  # development: off
        ({DEV_FLAG: "1", "DVC_EVIDENCE": "on"}, True),  # development, said on (make run)
    ],
    ids=["production", "production-off", "development", "development-on"],
)
def test_on_by_default_in_production_only(env: dict[str, str], enabled: bool) -> None:
    assert EvidenceConfig.from_env(env).enabled is enabled


def test_the_stamper_refuses_to_start_without_a_tsa() -> None:
    refused([str(DVCHUB), "evidence", "stamp"], production_env(), "DVC_EVIDENCE_TSA_URL")


def test_the_archiver_refuses_to_start_without_a_tsa(tmp_path: Path) -> None:
    command = [str(DVCHUB), "evidence", "archive", "--dir", str(tmp_path)]
    refused(command, production_env(), "DVC_EVIDENCE_TSA_URL")


def test_the_archiver_refuses_to_start_without_the_hubs_key(tmp_path: Path) -> None:
    command = [str(DVCHUB), "evidence", "archive", "--dir", str(tmp_path)]
    refused(command, production_env(DVC_EVIDENCE_TSA_URL=TSA), "DVC_SIGNING_*")
    assert not list(tmp_path.iterdir())  # refused before anything was written
