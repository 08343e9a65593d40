"""Personal data and secrets never reach a log line."""

from __future__ import annotations

import json

import pytest

from hub.logs import REDACTED, configure_logging, get_logger
from hub.sample import sample_events


def test_personal_data_is_redacted_at_any_depth(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(json=True)
    event = next(iter(sample_events(1)))
    applicant = event["payload"][1]["applicant"]
    get_logger("test").info(
        "dossier received",
        dossier_id=event["dossier_id"],
        payload=event["payload"][1],
        headers={"X-API-Key": "portal-secret-key", "accept": "application/json"},
        phone=applicant["phone"],
    )
    line = capsys.readouterr().err.strip().splitlines()[-1]
    record = json.loads(line)
    for secret in (
        applicant["id_number"],
        applicant["phone"],
        applicant["address"]["line"],
        "portal-secret-key",
    ):
        assert secret not in line
    assert record["payload"]["applicant"] == REDACTED
    assert record["headers"]["X-API-Key"] == REDACTED
    assert record["headers"]["accept"] == "application/json"
    assert record["dossier_id"] == event["dossier_id"]
    assert record["payload"]["procedure_code"] == event["payload"][1]["procedure_code"]
