"""The partners of ``bench/partners.py``: per partner, the commands it gets, its simulator,
its real client, and what the simulator holds afterwards."""

from __future__ import annotations

import uuid
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.bank import BankClient, BankConfig, PaygovSimulator
from connectors.emc import CODES, EmcClient, EmcConfig, EmcSimulator
from connectors.national import NationalConfig, NationalPortalClient, NationalPortalSimulator
from connectors.outbox import PartnerClient
from connectors.vnpost import VnpostClient, VnpostConfig, VnpostSimulator

PARTNERS = ("vnpost", "national", "emc", "bank")
STARTED = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 08:00 in Vietnam
#: A dossier's life as the national portal sees it (fee step, supplement round, ways back).
LIFE = (1, 6, 2, 4, 5, 4, 9, 10)
AGENCY = {"name": "Bộ phận Một cửa UBND quận 1",
          "address": {"line": "45-47 Lê Duẩn", "ward": "Bến Nghé", "district": "Quận 1",
                      "province": "TP Hồ Chí Minh"},
          "phone": "02838293600", "email": None}  # fmt: skip
CITIZEN = {"name": "Nguyễn Thị Lan",
           "address": {"line": "12 Nguyễn Huệ", "ward": None, "district": "Quận 1",
                       "province": "TP Hồ Chí Minh"},
           "phone": "0912345678", "email": None}  # fmt: skip

Payload = tuple[str, str, dict[str, Any]]  # (command type, payload record name, payload)


# -- the partners: commands, simulator, client, what the simulator holds ------------------------


@dataclass(frozen=True)
class Received:
    effects: int
    duplicates: int
    detail: str
    problems: tuple[str, ...] = ()


class Partner:
    """One partner's side of the bench (subclasses below)."""

    name: str
    #: Commands per dossier beyond which the payloads would stop making sense.
    max_per_dossier = 10_000

    def simulator(self) -> AbstractContextManager[Any]:
        raise NotImplementedError

    def url(self, sim: Any) -> str:
        return str(sim.url)

    def env(self, url: str) -> dict[str, str]:
        raise NotImplementedError

    def payload(self, dossier: int, step: int) -> Payload:
        raise NotImplementedError

    def received(self, sim: Any) -> Received:
        raise NotImplementedError

    def fail_next(self, sim: Any, count: int) -> None:
        """The next ``count`` calls get a 5xx, before the simulator does anything."""
        raise NotImplementedError


def make_client(partner: str, url: str) -> PartnerClient:
    """The partner's real outbound client, pointed at ``url`` (module level: for the child)."""
    if partner == "vnpost":
        return VnpostClient(VnpostConfig(url=url))
    if partner == "national":
        return NationalPortalClient(NationalConfig(url=url))
    if partner == "emc":
        return EmcClient(EmcConfig(url=url))
    if partner == "bank":
        return BankClient(BankConfig(paygov_base_url=url, default_provider="paygov"))
    raise ValueError(partner)


def dossier_id(dossier: int) -> str:
    return f"000.00.22.H01-260302-{dossier:05d}"


class Vnpost(Partner):
    """Per dossier: a pickup order, then its cancellation, again and again (a cancel that
    overtook its order would be refused: UNKNOWN_ORDER)."""

    name = "vnpost"

    def simulator(self) -> AbstractContextManager[Any]:
        return VnpostSimulator()

    def env(self, url: str) -> dict[str, str]:
        return {"DVC_VNPOST_URL": url}

    def payload(self, dossier: int, step: int) -> Payload:
        number = dossier_id(dossier)
        if step % 2:
            cancel = {"direction": "INTAKE_PICKUP", "order_number": number,
                      "reason": "Công dân rút hồ sơ"}  # fmt: skip
            return "POSTAL_CANCEL", "PostalCancel", cancel
        order = {"direction": "INTAKE_PICKUP", "order_number": number, "sender": CITIZEN,
                 "receiver": AGENCY, "cod_amount_vnd": 0, "note": "Gọi trước khi đến"}  # fmt: skip
        return "POSTAL_ORDER", "PostalOrder", order

    def received(self, sim: Any) -> Received:
        created, cancelled = sim.orders_created, sim.count(outcome="cancelled")
        return Received(created + cancelled, sim.duplicates,
                        f"{created:,} orders created, {cancelled:,} cancelled")  # fmt: skip

    def fail_next(self, sim: Any, count: int) -> None:
        sim.inject("unavailable", count)


class National(Partner):
    """Per dossier: DongBoHoSoMC and CapNhatTienDoHoSoMC alternately, the statuses of
    ``LIFE`` in order; the simulator's order check must stay silent."""

    name = "national"
    max_per_dossier = 2 * len(LIFE)

    def simulator(self) -> AbstractContextManager[Any]:
        return NationalPortalSimulator()

    def env(self, url: str) -> dict[str, str]:
        return {"DVC_NATIONAL_URL": url}

    def payload(self, dossier: int, step: int) -> Payload:
        code = LIFE[step // 2]
        at = STARTED + timedelta(minutes=step)
        if step % 2:
            progress = {"handler_name": "Trần Thị Bình", "handler_title": "Chuyên viên",
                        "handled_at": at, "department": "Phòng Quản lý xây dựng",
                        "content": "Thẩm định hồ sơ", "status_code": code, "started_at": None,
                        "due_at": None}  # fmt: skip
            return "NATIONAL_PROGRESS_UPDATE", "NationalProgressUpdate", progress
        sync = {"procedure_code": "1.001612", "procedure_name": "Cấp giấy phép xây dựng",
                "agency_code": "SXD", "applicant_name": "Nguyễn Văn An", "received_at": STARTED,
                "appointment_at": None, "returned_at": None, "status_code": code,
                "postal": False, "fee_lines": [], "result_documents": []}  # fmt: skip
        return "NATIONAL_DOSSIER_SYNC", "NationalDossierSync", sync

    def received(self, sim: Any) -> Received:
        counts = sim.counts()
        violations = len(sim.order_violations)
        problems = (f"{violations:,} order violations",) if violations else ()
        detail = (f"{counts.get('DongBoHoSoMC', 0):,} DongBoHoSoMC, "
                  f"{counts.get('CapNhatTienDoHoSoMC', 0):,} CapNhatTienDoHoSoMC, "
                  f"{counts['logins']} logins, {violations} order violations")  # fmt: skip
        return Received(len(sim.received()), sim.duplicates, detail, problems)

    def fail_next(self, sim: Any, count: int) -> None:
        sim.faults.arm("error_5xx", count)


class Emc(Partner):
    """Per dossier: one tracking record per status change (EMC's status codes in turn)."""

    name = "emc"
    STATUSES = sorted(CODES["emc_status"])

    def simulator(self) -> AbstractContextManager[Any]:
        return EmcSimulator()

    def env(self, url: str) -> dict[str, str]:
        return {"DVC_EMC_URL": url}

    def payload(self, dossier: int, step: int) -> Payload:
        record = {"procedure_code": "1.001612",
                  "emc_status": self.STATUSES[step % len(self.STATUSES)], "reception_form": 1,
                  "payment_form": 1, "level": 4, "from_national_portal": False,
                  "postal": 0}  # fmt: skip
        return "EMC_TRACKING_RECORD", "EmcTrackingRecord", record

    def received(self, sim: Any) -> Received:
        counts = sim.counts()
        detail = f"{counts['records']:,} records of {counts['dossiers']:,} dossiers"
        return Received(counts["records"], counts["duplicates"], detail)

    def fail_next(self, sim: Any, count: int) -> None:
        sim.faults.arm("error_5xx", count)


class Bank(Partner):
    """Per dossier: one PAYMENT_REQUEST per fee request (paygov), each its own reference."""

    name = "bank"

    def simulator(self) -> AbstractContextManager[Any]:
        return PaygovSimulator(BankConfig())

    def env(self, url: str) -> dict[str, str]:
        return {"DVC_BANK_PAYGOV_BASE_URL": url, "DVC_BANK_DEFAULT_PROVIDER": "paygov"}

    def payload(self, dossier: int, step: int) -> Payload:
        amount = 50_000 + 1_000 * step
        request = {"payment_reference": f"BP{dossier:05d}-F{step + 1:03d}", "amount_vnd": amount,
                   "fee_lines": [{"code": "LP-01", "name": "Lệ phí", "kind": "CHARGE",
                                  "amount_vnd": amount}],
                   "beneficiary_account": "0123456789", "description": "Lệ phí cấp phép",
                   "provider": "paygov", "agency_code": None}  # fmt: skip
        return "PAYMENT_REQUEST", "PaymentRequest", request

    def received(self, sim: Any) -> Received:
        created, duplicates = len(sim.ledger.payments), sim.ledger.duplicate_count()
        return Received(created, duplicates, f"{created:,} payments created")

    def fail_next(self, sim: Any, count: int) -> None:
        sim.faults.api_fail_next += count


ADAPTERS: dict[str, Partner] = {p.name: p for p in (Vnpost(), National(), Emc(), Bank())}


def command_records(
    partner: Partner, commands: int, dossiers: int, tag: str
) -> list[dict[str, Any]]:
    """``commands`` PartnerCommand records over ``dossiers`` dossiers, round robin: step 0 of
    every dossier, then step 1 ... (the order a live stream interleaves them in)."""
    records = []
    for n in range(commands):
        dossier, step = n % dossiers, n // dossiers
        command_type, name, payload = partner.payload(dossier, step)
        did = dossier_id(dossier)
        command_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{tag}{did}:{step}"))
        records.append({
            "command_id": command_id, "command_type": command_type, "dossier_id": did,
            "idempotency_key": f"{command_id}:{command_type.lower()}",
            "created_at": STARTED + timedelta(minutes=step), "correlation_id": did,
            "causation_id": None, "payload": (f"vn.dvchub.command.{name}", payload),
        })  # fmt: skip
    return records
