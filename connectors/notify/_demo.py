"""The notifications' demo story: a late dossier's citizen told at each step.

Dossier 4 is received, asked for a missing paper, asked to pay its fee (the citizen follows the
payment link of the message and pays on the provider's page), is late (the agency apologises
with a new date), and its result is made ready and returned. Each of those steps is one
``CitizenNotification`` command of the routing worker, sent by the notify outbox through the
gateways' simulators; the story prints what the citizen received, step by step, matched to the
commands by the id each gateway deduped on (``message_id`` of the command's idempotency key).
The citizen's name is masked in what is printed: the console is a log too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import cast

import httpx

from connectors.common.demo import Stage
from connectors.notify._gateways import message_id
from connectors.notify._ledger import Delivered
from connectors.notify._sim import NotifySimulator
from hub.records import CitizenNotification, PartnerCommand
from hub.topics import PARTNER_COMMANDS

#: The story's sample dossier (the other partners' stories use 1 to 3).
LATE = 4
#: How much of a message's text a row shows.
_SHOWN = 90


@dataclass(frozen=True)
class Sent:
    """A step's command and what a gateway delivered for it (None: not yet)."""

    step: str
    key: str
    name: str
    delivered: Delivered | None
    #: The fee step's payment link, as the message gave it.
    payment_url: str | None = None


def demo_story(stage: Stage, sim: NotifySimulator) -> None:
    """Dossier 4, late, with a message to its citizen at each of its six steps."""
    sample, late = stage.sample, stage.sample.dossier_id(LATE)
    stage.push(sample.submitted(LATE, "ONLINE", postal=False), sample.accepted(LATE),
               sample.step(LATE), sample.supplement_requested(LATE),
               sample.supplement_received(LATE), sample.fee_requested(LATE))  # fmt: skip
    # the fee's message carries the payment link (the provider's, once it made the request)
    fee = stage.wait(lambda: _sent(stage, sim, late, "FEE_REQUESTED"), 90, f"{late}'s fee message")
    link = next(s.payment_url for s in fee if s.payment_url)
    # the citizen follows it and pays on the provider's page (the simulator's, over HTTP)
    httpx.post(link, data={"action": "pay"}, timeout=10).raise_for_status()
    stage.wait(lambda: stage.events(late, "FEE_PAID"), 60, f"{late}'s FeePaid")
    stage.push(sample.apology(LATE), sample.result_ready(LATE, "ONLINE"))
    stage.publish(sample.result_signed(LATE))
    stage.push(sample.returned(LATE))
    sent = stage.wait(lambda: _sent(stage, sim, late, "RESULT_RETURNED"), 90,
                      f"{late}'s six messages")  # fmt: skip
    stage.say(f"{late}: late, apologised for; its citizen (consented, Zalo then SMS) was told "
              "at each step (what the gateways received; the name masked)")  # fmt: skip
    stage.table(("step", "channel", "delivered (UTC)", "SMS", "message"),
                [_row(s) for s in sent])  # fmt: skip


def _sent(stage: Stage, sim: NotifySimulator, dossier_id: str, last: str) -> list[Sent] | None:
    """Every notification step of the dossier in order, once all up to ``last`` arrived."""
    by_key = {d.key.strip("<>").partition("@")[0]: d for d in sim.ledger.delivered()}
    sent: dict[str, Sent] = {}
    for record in stage.read(PARTNER_COMMANDS):
        command = cast(PartnerCommand, record)
        if command["dossier_id"] != dossier_id or command["command_type"] != "CITIZEN_NOTIFICATION":
            continue
        payload: CitizenNotification = record["payload"][1]
        key = message_id(command["idempotency_key"])
        data, name = payload["data"], payload["contact"]["name"]
        step = Sent(payload["step"], key, name, by_key.get(key), data["payment_url"])
        sent.setdefault(payload["step"], step)
    if last not in sent or any(s.delivered is None for s in sent.values()):
        return None
    return sorted(sent.values(), key=lambda s: s.delivered.seq if s.delivered else 0)


def _row(sent: Sent) -> tuple[str, str, str, str, str]:
    d = sent.delivered
    assert d is not None, "_sent returns only delivered steps"
    text = " ".join(d.text.replace(sent.name, "‹họ tên›").split())
    sms = f"{d.segments} × {d.encoding}" if d.segments else "-"
    shown = text if len(text) <= _SHOWN else f"{text[: _SHOWN - 1]}…"
    return sent.step, d.channel, f"{_hms(d.received_at)}", sms, shown


def _hms(at: datetime) -> str:
    return f"{at:%H:%M:%S}"
