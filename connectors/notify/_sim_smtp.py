"""The e-mail gateway's simulator: a real SMTP server (aiosmtpd) in a thread of its own.

It records each message once by its ``Message-ID`` (a repeated one is accepted and counted as
a duplicate), bounces recipients at ``BOUNCING_DOMAIN`` (550: the client tries the next
channel), and has the faults of the HTTP simulators, in SMTP terms: a 5xx storm, a malformed
reply or an outage are 4xx answers at DATA (the client retries later), a timeout holds the
reply, a lost reply records the message then answers 451.

aiosmtpd logs every command line at INFO (``RCPT TO:<address>``): its logger is held at
WARNING here, since an address must never reach a log.
"""

from __future__ import annotations

import asyncio
import logging
from email import message_from_bytes, policy
from typing import Any

from aiosmtpd.controller import Controller

from connectors.common import FaultSwitches
from connectors.notify._ledger import Ledger

logging.getLogger("mail.log").setLevel(logging.WARNING)

#: Recipients at this domain do not exist (550): the simulator's bounce.
BOUNCING_DOMAIN = "bounce.invalid"
_UNAVAILABLE = "421 4.3.2 Service not available (simulated)"
_TRY_LATER = "451 4.3.0 Temporary failure (simulated)"
_RATE_LIMITED = "451 4.7.1 Rate limited, try again later"


class SmtpHandler:
    """aiosmtpd's handler hooks (``handle_RCPT``, ``handle_DATA``)."""

    def __init__(self, ledger: Ledger, faults: FaultSwitches) -> None:
        self.ledger = ledger
        self.faults = faults

    async def handle_RCPT(  # noqa: N802 (aiosmtpd's hook name)
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if address.lower().endswith("@" + BOUNCING_DOMAIN):
            self.ledger.refuse("EMAIL", "550")
            return "550 5.1.1 No such user (simulated)"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802 (aiosmtpd's hook name)
        self, server: Any, session: Any, envelope: Any
    ) -> str:
        if "EMAIL" in self.ledger.down:
            return _UNAVAILABLE
        if self.ledger.over_rate("EMAIL"):
            return _RATE_LIMITED
        fault = self.faults.take()
        if fault in ("error_5xx", "malformed"):
            return _TRY_LATER
        if fault == "timeouts":
            await asyncio.sleep(self.faults.hang_s)
            return _TRY_LATER
        message = message_from_bytes(envelope.content, policy=policy.default)
        message_id = message["Message-ID"]
        if not message_id:
            return "550 5.6.0 Message-ID required"
        body = message.get_body(preferencelist=("plain",))
        text = body.get_content() if body is not None else ""
        delivered = self.ledger.deliver(
            "EMAIL", str(message_id), ",".join(envelope.rcpt_tos), text,
            subject=str(message["Subject"]),
        )  # fmt: skip
        if fault == "lost_replies":
            return _TRY_LATER
        return f"250 2.0.0 Ok: queued as {delivered.gateway_id}"


class SmtpServer:
    """``start()`` listens on ``host:port``; ``stop()`` closes it."""

    def __init__(self, handler: SmtpHandler, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self._controller = Controller(handler, hostname=host, port=port)

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()
