"""The EMC contract: one abstract suite, run against every client/server pairing (today the
httpx ``EmcClient`` talking to the ``EmcSimulator`` over real HTTP)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from connectors.emc import (
    CODES,
    OPENAPI_PATH,
    TRACKING_PATH,
    EmcClient,
    EmcConfig,
    EmcSimulator,
    render_openapi,
)
from connectors.national import IDEMPOTENCY_HEADER
from connectors.outbox import Command, PartnerClient, Permanent, Transient

DOSSIER = "000.00.22.H01-260302-0001"
CREATED = datetime(2026, 3, 2, 1, 15, 30, 250_000, tzinfo=UTC)


def record(key: str = "emc-0001", dossier_id: str = DOSSIER, **overrides: Any) -> Command:
    payload: dict[str, Any] = {
        "procedure_code": "1.001612",
        "emc_status": 1,
        "reception_form": 1,
        "payment_form": 1,
        "level": 4,
        "from_national_portal": True,
        "postal": 1,
    }
    payload.update(overrides)
    return Command(
        command_id=f"cmd-{key}",
        command_type="EMC_TRACKING_RECORD",
        dossier_id=dossier_id,
        idempotency_key=key,
        created_at=CREATED,
        correlation_id=dossier_id,
        causation_id=None,
        payload_name="EmcTrackingRecord",
        payload=payload,
    )


@pytest.fixture
def simulator() -> Iterator[EmcSimulator]:
    with EmcSimulator() as sim:
        yield sim


class EmcContract:
    def make_client(self, simulator: EmcSimulator, **config: Any) -> PartnerClient:
        raise NotImplementedError

    def test_a_record_is_sent_with_its_codes(self, simulator: EmcSimulator) -> None:
        client = self.make_client(simulator)
        accepted = client.call(record(), attempt=1)
        [received] = simulator.received(DOSSIER)
        assert accepted.reference == received.emc_id
        assert accepted.events == ()
        assert received.idempotency_key == "emc-0001"
        assert received.record.model_dump() == {
            "MaHoSo": DOSSIER, "MaTTHC": "1.001612", "TrangThai": 1, "HinhThucTiepNhan": 1,
            "HinhThucThanhToan": 1, "MucDo": 4, "TuCongDVCQG": 1, "BuuChinh": 1,
            "ThoiDiem": "20260302081530",
        }  # fmt: skip

    def test_every_valid_code_is_accepted(self, simulator: EmcSimulator) -> None:
        client = self.make_client(simulator)
        n = 0
        for field, codes in CODES.items():
            for code in sorted(codes):
                n += 1
                client.call(record(f"k{n}", **{field: code}), attempt=1)
        assert len(simulator.received()) == n == 5 + 2 + 3 + 4 + 2
        client.call(record("nn", from_national_portal=False, postal=0), attempt=1)
        last = simulator.received()[-1].record
        assert (last.TuCongDVCQG, last.BuuChinh) == (0, 0)

    @pytest.mark.parametrize(
        ("field", "bad"),
        [("emc_status", 5), ("emc_status", -1), ("reception_form", 0), ("reception_form", 3),
         ("payment_form", 3), ("level", 2), ("level", 5), ("postal", 2), ("emc_status", "1"),
         ("procedure_code", "bad code!")],
    )  # fmt: skip
    def test_a_bad_code_is_permanent_and_never_sent(
        self, simulator: EmcSimulator, field: str, bad: Any
    ) -> None:
        client = self.make_client(simulator)
        with pytest.raises(Permanent, match="INVALID_COMMAND"):
            client.call(record("emc-bad", DOSSIER, **{field: bad}), attempt=1)
        assert simulator.received() == []

    def test_a_lost_reply_is_retried_without_doubling(self, simulator: EmcSimulator) -> None:
        client = self.make_client(simulator)
        simulator.faults.arm("lost_replies")
        with pytest.raises(Transient, match="HTTP_503"):
            client.call(record(), attempt=1)
        client.call(record(), attempt=2)
        assert len(simulator.received()) == 1
        assert simulator.duplicates == 1

    @pytest.mark.parametrize(
        ("fault", "code"),
        [("error_5xx", "HTTP_503"), ("malformed", "MALFORMED_REPLY"), ("timeouts", "TIMEOUT")],
    )
    def test_faults_are_transient(self, simulator: EmcSimulator, fault: str, code: str) -> None:
        client = self.make_client(simulator)
        simulator.faults.hang_s = 1.5
        simulator.faults.arm(fault)  # type: ignore[arg-type]
        with pytest.raises(Transient) as raised:
            client.call(record(), attempt=1)
        assert raised.value.code == code
        assert simulator.received() == []
        client.call(record(), attempt=2)
        assert len(simulator.received()) == 1

    def test_a_5xx_storm_then_success(self, simulator: EmcSimulator) -> None:
        client = self.make_client(simulator)
        simulator.faults.arm("error_5xx", 4)
        outcomes = []
        for attempt in range(1, 7):
            try:
                client.call(record(), attempt=attempt)
                outcomes.append("ok")
                break
            except Transient:
                outcomes.append("retry")
        assert outcomes == ["retry"] * 4 + ["ok"]

    def test_latency(self, simulator: EmcSimulator) -> None:
        client = self.make_client(simulator)
        simulator.faults.latency_s = 0.3
        started = time.monotonic()
        client.call(record(), attempt=1)
        assert time.monotonic() - started >= 0.3

    def test_a_wrong_token_is_transient(self, simulator: EmcSimulator) -> None:
        client = self.make_client(simulator, token="not-the-token")
        with pytest.raises(Transient, match="UNAUTHORIZED"):
            client.call(record(), attempt=1)
        assert simulator.unauthorized == 1
        assert simulator.received() == []

    def test_emc_refusing_is_permanent(self, simulator: EmcSimulator) -> None:
        """A record EMC's schema refuses, sent around the client's own checks."""
        reply = httpx.post(
            f"{simulator.url}{TRACKING_PATH}",
            json={"MaHoSo": DOSSIER, "TrangThai": 9},
            headers={"Authorization": f"Bearer {simulator.token}", IDEMPOTENCY_HEADER: "x"},
        )
        assert reply.status_code == 400
        assert reply.json()["error_code"] == "VALIDATION_FAILED"
        assert "TrangThai" in reply.json()["message"]

    def test_an_unsupported_command_is_permanent(self, simulator: EmcSimulator) -> None:
        client = self.make_client(simulator)
        other = Command(**{**record().__dict__, "command_type": "POSTAL_ORDER"})
        with pytest.raises(Permanent, match="UNSUPPORTED_COMMAND"):
            client.call(other, attempt=1)
        assert client.failure_events(other, Permanent("X", "y"), 1, False) == ()

    def test_emc_down_is_transient(self) -> None:
        with EmcSimulator() as gone:
            url = gone.url
        client = self.make_client_at(url)
        with pytest.raises(Transient, match="CONNECTION"):
            client.call(record(), attempt=1)

    def make_client_at(self, url: str, **config: Any) -> PartnerClient:
        raise NotImplementedError


class TestHttpxClientAgainstSimulator(EmcContract):
    def make_client(self, simulator: EmcSimulator, **config: Any) -> PartnerClient:
        return self.make_client_at(simulator.url, **config)

    def make_client_at(self, url: str, **config: Any) -> PartnerClient:
        client = EmcClient(EmcConfig(url=url, timeout_s=1.0, **config))
        assert client.partner == "emc"
        assert client.command_types == frozenset({"EMC_TRACKING_RECORD"})
        return client


def test_the_committed_openapi_is_the_rendered_one() -> None:
    assert OPENAPI_PATH.read_text(encoding="utf-8") == render_openapi()


def test_the_token_is_never_in_a_repr() -> None:
    config = EmcConfig(token="s3cret-token")
    assert "s3cret-token" not in repr(config)
