"""The national portal contract: one abstract suite, run against every client/server pairing.

Today one pairing: the httpx ``NationalPortalClient`` talking to the ``NationalPortalSimulator``
over real HTTP. A pairing provides ``make_client``; everything else is the contract.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from connectors.national import (
    IDEMPOTENCY_HEADER,
    OPENAPI_PATH,
    SERVICE_DOSSIER_SYNC,
    SERVICE_PROGRESS,
    TOKEN_HEADER,
    NationalConfig,
    NationalPortalClient,
    NationalPortalSimulator,
    PortalRefused,
    render_openapi,
    to_call_failed,
)
from connectors.outbox import Accepted, PartnerClient, Permanent, Transient
from tests.connectors.national.conftest import (
    PORTAL_ROUNDS,
    command,
    progress,
    supplement_rounds,
    sync,
    sync_payload,
)

MA_HO_SO = "000.00.22.H01-260302-0001"


class NationalPortalContract:
    """What any national portal client must do against a portal speaking ``openapi.json``."""

    def make_client(self, simulator: NationalPortalSimulator, **config: object) -> PartnerClient:
        raise NotImplementedError

    def logins(self, client: PartnerClient) -> int:
        raise NotImplementedError

    # -- both services ---------------------------------------------------------------------
    def test_dossier_sync_is_recorded_with_portal_dates(
        self, simulator: NationalPortalSimulator
    ) -> None:
        client = self.make_client(simulator)
        accepted = client.call(sync(2), attempt=1)
        [received] = simulator.received(MA_HO_SO, SERVICE_DOSSIER_SYNC)
        assert accepted == Accepted(
            reference=received.receipt,
            events=(accepted.events[0],),
        )
        [event] = accepted.events
        assert (event.payload_name, event.source) == ("NationalSyncCompleted", "HUB")
        assert event.payload == {
            "service": "DONG_BO_HO_SO_MC",
            "status_synced": "ACCEPTED",
            "attempts": 1,
        }
        assert received.idempotency_key == "idem-0001"
        data = received.data
        assert data["NgayTiepNhan"] == "20260302081530"  # 01:15:30.250 UTC
        assert data["NgayHenTra"] == "20260316170000"
        assert (data["TrangThaiHoSo"], data["HinhThuc"], data["MaTTHC"]) == (2, 1, "1.001612")
        assert data["DanhSachHoSoBoSung"] == []
        fees = data["DanhSachLePhi"]
        assert isinstance(fees, list)
        assert isinstance(fees[0], dict)
        assert fees[0]["SoTien"] == 150000

    def test_dossier_sync_carries_the_supplement_rounds(
        self, simulator: NationalPortalSimulator
    ) -> None:
        client = self.make_client(simulator)
        client.call(sync(5, supplements=supplement_rounds()), attempt=1)
        [received] = simulator.received(MA_HO_SO, SERVICE_DOSSIER_SYNC)
        assert received.data["TrangThaiHoSo"] == 5
        assert received.data["DanhSachHoSoBoSung"] == PORTAL_ROUNDS

    def test_progress_update_is_recorded(self, simulator: NationalPortalSimulator) -> None:
        client = self.make_client(simulator)
        accepted = client.call(progress(4), attempt=3)
        [received] = simulator.received(MA_HO_SO, SERVICE_PROGRESS)
        assert accepted.reference == received.receipt
        assert accepted.events[0].payload == {
            "service": "CAP_NHAT_TIEN_DO_HO_SO_MC",
            "status_synced": "PROCESSING",
            "attempts": 3,
        }
        assert received.data["ThoiDiemXuLy"] == "20260302081530"
        assert received.data["NgayKetThucTheoQuyDinh"] == "20260316170000"
        assert received.data["NguoiXuLy"] == "Trần Thị Bình"

    def test_every_status_code_syncs(self, simulator: NationalPortalSimulator) -> None:
        client = self.make_client(simulator)
        for code in range(1, 11):
            client.call(sync(code, key=f"k-{code}"), attempt=1)
        assert simulator.statuses(MA_HO_SO) == list(range(1, 11))

    # -- idempotency ------------------------------------------------------------------------
    def test_a_lost_reply_is_retried_without_doubling(
        self, simulator: NationalPortalSimulator
    ) -> None:
        client = self.make_client(simulator)
        simulator.faults.arm("lost_replies")
        with pytest.raises(Transient, match="HTTP_503"):
            client.call(sync(2), attempt=1)
        accepted = client.call(sync(2), attempt=2)
        [received] = simulator.received()
        assert accepted.reference == received.receipt
        assert simulator.duplicates == 1

    # -- sessions ---------------------------------------------------------------------------
    def test_login_is_lazy_and_the_session_reused(self, simulator: NationalPortalSimulator) -> None:
        client = self.make_client(simulator)
        assert simulator.logins == 0
        for i in range(3):
            client.call(sync(2, key=f"k{i}"), attempt=1)
        assert simulator.logins == 1

    def test_an_expired_session_is_renewed_once_and_the_call_retried(
        self, simulator: NationalPortalSimulator
    ) -> None:
        client = self.make_client(simulator)
        client.call(sync(2, key="a"), attempt=1)
        simulator.expire_sessions()
        client.call(sync(4, key="b"), attempt=1)
        assert simulator.logins == 2
        assert simulator.statuses(MA_HO_SO) == [2, 4]

    def test_the_session_is_renewed_before_it_expires(self) -> None:
        with NationalPortalSimulator(token_lifetime_s=2.0) as simulator:
            client = self.make_client(simulator)
            client.call(sync(2, key="a"), attempt=1)
            time.sleep(1.7)  # past the renewal point (a quarter of the lifetime before expiry)
            client.call(sync(4, key="b"), attempt=1)
            assert simulator.logins == 2
            assert simulator.rejected_tokens == 0  # renewed before, not after, the expiry

    def test_a_wrong_password_is_transient(self, simulator: NationalPortalSimulator) -> None:
        client = self.make_client(simulator, password="wrong")
        with pytest.raises(Transient, match="INVALID_CREDENTIALS"):
            client.call(sync(2), attempt=1)
        assert simulator.received() == []

    def test_concurrent_callers_share_one_renewal(self, simulator: NationalPortalSimulator) -> None:
        client = self.make_client(simulator)
        client.call(sync(1, key="warm"), attempt=1)
        simulator.expire_sessions()
        barrier = threading.Barrier(8)

        def call(i: int) -> Accepted:
            barrier.wait()
            return client.call(
                command(
                    "NATIONAL_DOSSIER_SYNC", sync_payload(2), dossier_id=f"HS-{i}", key=f"t{i}"
                ),
                attempt=1,
            )

        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(call, range(8)))
        assert len({r.reference for r in results}) == 8
        assert len(simulator.received()) == 9
        assert simulator.logins == 2

    # -- faults -----------------------------------------------------------------------------
    @pytest.mark.parametrize(
        ("fault", "code"),
        [("error_5xx", "HTTP_503"), ("malformed", "MALFORMED_REPLY"), ("timeouts", "TIMEOUT")],
    )
    def test_faults_are_transient_and_nothing_is_recorded(
        self, simulator: NationalPortalSimulator, fault: str, code: str
    ) -> None:
        client = self.make_client(simulator)
        simulator.faults.hang_s = 1.5  # the client's timeout is 1 s
        simulator.faults.arm(fault, 1)  # type: ignore[arg-type]
        with pytest.raises(Transient) as raised:
            client.call(sync(2), attempt=1)
        assert raised.value.code == code
        assert simulator.received() == []
        assert client.call(sync(2), attempt=2).reference is not None
        assert simulator.faults.fired[fault] == 1

    def test_a_5xx_storm_then_success(self, simulator: NationalPortalSimulator) -> None:
        client = self.make_client(simulator)
        simulator.faults.arm("error_5xx", 5)
        failures = 0
        for attempt in range(1, 10):
            try:
                client.call(sync(2), attempt=attempt)
                break
            except Transient:
                failures += 1
        assert failures == 5
        assert len(simulator.received()) == 1

    def test_latency_is_only_slower(self, simulator: NationalPortalSimulator) -> None:
        client = self.make_client(simulator)
        simulator.faults.latency_s = 0.3
        started = time.monotonic()
        client.call(sync(2), attempt=1)
        assert time.monotonic() - started >= 0.3

    def test_a_portal_that_is_down_is_transient(self) -> None:
        with NationalPortalSimulator() as simulator:
            url = simulator.url
        client = self.make_client_at(url)
        with pytest.raises(Transient, match="CONNECTION"):
            client.call(sync(2), attempt=1)

    def make_client_at(self, url: str) -> PartnerClient:
        raise NotImplementedError

    # -- refusals ---------------------------------------------------------------------------
    def test_a_bad_code_is_permanent_and_never_sent(
        self, simulator: NationalPortalSimulator
    ) -> None:
        client = self.make_client(simulator)
        for bad in (sync(11), progress(0), sync(2, agency_code="bad code!")):
            with pytest.raises(Permanent, match="INVALID_COMMAND"):
                client.call(bad, attempt=1)
        assert simulator.received() == []
        assert simulator.logins == 0

    def test_an_unsupported_command_is_permanent(self, simulator: NationalPortalSimulator) -> None:
        client = self.make_client(simulator)
        with pytest.raises(Permanent, match="UNSUPPORTED_COMMAND"):
            client.call(command("EMC_TRACKING_RECORD", {}), attempt=1)

    def test_the_portal_refusing_is_permanent(self, simulator: NationalPortalSimulator) -> None:
        """A request the portal's schema refuses (here: sent around the client's own checks)."""
        client = self.make_client(simulator)
        client.call(sync(2, key="login"), attempt=1)
        token = client.transport.session_token()  # type: ignore[attr-defined]
        body = {"service": SERVICE_DOSSIER_SYNC, "data": {"MaHoSo": MA_HO_SO, "TrangThaiHoSo": 12}}
        reply = httpx.post(f"{simulator.url}/api/v1/service", json=body,
                           headers={TOKEN_HEADER: token, IDEMPOTENCY_HEADER: "x"})  # fmt: skip
        assert reply.status_code == 400
        assert reply.json()["error_code"] == "VALIDATION_FAILED"
        assert "TrangThaiHoSo" in reply.json()["message"]
        unknown = httpx.post(f"{simulator.url}/api/v1/service", json={"service": "Xoa", "data": {}},
                             headers={TOKEN_HEADER: token})  # fmt: skip
        assert (unknown.status_code, unknown.json()["error_code"]) == (400, "UNKNOWN_SERVICE")
        assert isinstance(to_call_failed(PortalRefused("VALIDATION_FAILED", "x")), Permanent)

    # -- failure events ---------------------------------------------------------------------
    def test_failure_events(self, simulator: NationalPortalSimulator) -> None:
        client = self.make_client(simulator)
        [event] = client.failure_events(
            progress(4), Transient("HTTP_503", "down"), attempts=3, will_retry=True
        )
        assert (event.payload_name, event.source) == ("NationalSyncFailed", "HUB")
        assert event.payload == {
            "service": "CAP_NHAT_TIEN_DO_HO_SO_MC",
            "reason": "HTTP_503: down",
            "attempts": 3,
            "will_retry": True,
        }

    # -- ordering check of the simulator ----------------------------------------------------
    def test_the_simulator_sees_a_status_overtaking_another(
        self, simulator: NationalPortalSimulator
    ) -> None:
        client = self.make_client(simulator)
        # legal, with the ways back (6 -> 5: the fee paid sent nothing, then a supplement)
        for i, code in enumerate((1, 6, 2, 4, 6, 5, 4, 9, 10)):
            client.call(sync(code, key=f"ok{i}"), attempt=1)
        assert simulator.order_violations == []
        other = "HS-2"
        simulator.expect_order(other, [1, 2, 4, 9, 10])
        for i, code in enumerate((1, 4, 2, 9)):
            client.call(
                command("NATIONAL_DOSSIER_SYNC", sync_payload(code), dossier_id=other, key=f"o{i}"),
                attempt=1,
            )
        [violation] = simulator.order_violations
        assert (violation.ma_ho_so, violation.before, violation.after) == (other, 4, 2)


class TestHttpxClientAgainstSimulator(NationalPortalContract):
    def make_client(self, simulator: NationalPortalSimulator, **config: object) -> PartnerClient:
        return self.make_client_at(simulator.url, **config)

    def make_client_at(self, url: str, **config: object) -> PartnerClient:
        client = NationalPortalClient(NationalConfig(url=url, timeout_s=1.0, **config))  # type: ignore[arg-type]
        assert client.partner == "national"
        assert client.command_types == {"NATIONAL_DOSSIER_SYNC", "NATIONAL_PROGRESS_UPDATE"}
        return client


def test_the_committed_openapi_is_the_rendered_one() -> None:
    assert OPENAPI_PATH.read_text(encoding="utf-8") == render_openapi()
