"""Citizen notifications as the hub sees them from outside this package: ``SPEC``.

In the demo (``DEMO``): the messages the gateways delivered per dossier, by channel (the sample
dossiers' steps are its messages, for applicants who consented), and its story (``_demo``): a
late dossier's citizen told at each step.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from connectors.common import PartnerSpec, Payload, Received, SimulatorServer, Workload
from connectors.common.audit import SimulatorLedger
from connectors.common.demo import Calls, DemoPart
from connectors.notify._client import CITIZEN_NOTIFICATION, PARTNER, NotifyClient
from connectors.notify._config import NotifyConfig
from connectors.notify._demo import demo_story
from connectors.notify._gateways import message_id
from connectors.notify._ledger import Delivered
from connectors.notify._notification import CHANNELS, STEPS, Channel
from connectors.notify._sim import NOT_ON_ZALO, NotifySimulator
from connectors.outbox import PartnerClient

#: The channel orders of the sample applicants, in turn; the last has no Zalo account.
_ORDERS: tuple[tuple[Channel, ...], ...] = (("ZNS", "SMS"), ("SMS",), ("EMAIL",), ("ZNS", "SMS"))


def client() -> PartnerClient:
    config = NotifyConfig()
    config.require_secrets()
    return NotifyClient(config)


def split_url(url: str) -> tuple[str, str, str]:
    """``NotifySimulator.url`` -> (the HTTP gateways' base URL, the SMTP host, its port)."""
    base, _, smtp = url.partition(";smtp://")
    host, _, port = smtp.rpartition(":")
    return base, host, port


class NotifyWorkload(Workload):
    """Per dossier: one message per step in turn (received, supplement, fee, result ready,
    apology, returned), by ZNS, SMS, e-mail, or ZNS refused (no Zalo account) then SMS."""

    def env(self, url: str) -> dict[str, str]:
        base, host, port = split_url(url)
        return {"DVC_NOTIFY_SMS_URL": base, "DVC_NOTIFY_ZNS_URL": base,
                "DVC_NOTIFY_SMTP_HOST": host, "DVC_NOTIFY_SMTP_PORT": port}  # fmt: skip

    def payload(self, dossier: int, step: int) -> Payload:
        order = _ORDERS[dossier % len(_ORDERS)]
        no_zalo = dossier % len(_ORDERS) == len(_ORDERS) - 1
        phone = f"0{NOT_ON_ZALO[2:]}{dossier % 10_000:04d}" if no_zalo else f"09{dossier:08d}"
        at = self.started + timedelta(days=step + 5)
        record = {
            "step": STEPS[step % len(STEPS)], "procedure_name": "Cấp phiếu lý lịch tư pháp",
            "agency_name": "Sở Tư pháp",
            "contact": {"name": "Nguyễn Thị Bình", "phone": phone,
                        "email": f"cong.dan.{dossier}@example.vn", "channels": list(order)},
            "data": {"appointment_at": at, "missing_items": ["Bản sao CCCD"],
                     "reason": "Thiếu giấy tờ", "respond_by_at": at, "amount_vnd": 200_000,
                     "payment_url": f"https://pay.example.vn/p/{dossier}-{step}",
                     "return_channel": "POSTAL", "waybill_number": "EA123456785VN",
                     "new_appointment_at": at},
        }  # fmt: skip
        return CITIZEN_NOTIFICATION, "CitizenNotification", record

    def calls(self, sim: SimulatorServer) -> Counter[str]:
        sim = NotifySimulator.of(sim)
        return Counter({CITIZEN_NOTIFICATION: len(sim.ledger.delivered())})

    def received(self, sim: SimulatorServer) -> Received:
        ledger = NotifySimulator.of(sim).ledger
        counts = ledger.counts()
        segments = sum(d.segments or 0 for d in ledger.delivered("SMS"))
        per_channel = ", ".join(f"{counts[c]:,} {c}{_rate(ledger.delivered(c))}" for c in CHANNELS)
        detail = (f"{per_channel}; {segments:,} SMS segments; {ledger.refused['ZNS:-118']:,} "
                  "without Zalo sent by SMS")  # fmt: skip
        return Received(sum(counts.values()), sum(ledger.duplicates.values()), detail)

    def fail_next(self, sim: SimulatorServer, count: int) -> None:
        NotifySimulator.of(sim).faults.arm("error_5xx", count)

    def ledger(self, sim: SimulatorServer) -> SimulatorLedger:
        from hub.audit import PartnerCall  # only when the audit asks (connectors.common.audit)

        ledger = NotifySimulator.of(sim).ledger

        def applied() -> list[PartnerCall]:
            # every gateway dedupes on ``message_id`` of the key (the e-mail's Message-ID wraps
            # it as <id@domain>); a refused channel delivered nothing, its fallback did
            return [PartnerCall(d.key.strip("<>").split("@")[0], None, CITIZEN_NOTIFICATION)
                    for d in ledger.delivered()]  # fmt: skip

        return SimulatorLedger(PARTNER, frozenset({CITIZEN_NOTIFICATION}), applied,
                               derive=message_id)  # fmt: skip


def _rate(delivered: list[Delivered]) -> str:
    """`` at N/s``: a channel's messages a second, from its first to its last delivery."""
    if len(delivered) < 2:
        return ""
    seconds = (delivered[-1].received_at - delivered[0].received_at).total_seconds()
    return f" at {(len(delivered) - 1) / seconds:,.0f}/s" if seconds > 0 else ""


def demo_simulator(_: Calls | None) -> NotifySimulator:
    return NotifySimulator()


def _messages(sim: NotifySimulator, dossier_id: str) -> str:
    channels = Counter(
        d.channel for d in sim.ledger.delivered() if dossier_id in f"{d.subject or ''} {d.text}"
    )
    return ", ".join(f"{channel} {n}" for channel, n in sorted(channels.items())) or "-"


DEMO = DemoPart(
    title="Citizen notifications (ZNS, SMS, e-mail)",
    simulator=demo_simulator,
    story=demo_story,
    per_dossier=("Notifications", _messages),
)

SPEC = PartnerSpec(
    name=PARTNER,
    command_types=NotifyClient.command_types,
    client=client,
    simulator=NotifySimulator,
    workload=NotifyWorkload(),
    demo=DEMO,
)
