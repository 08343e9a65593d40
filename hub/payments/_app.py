"""The payments processor, declared (``SPEC``): its fold on real serdes, the configuration,
command metrics; run by ``hub.processing`` (``dvchub worker payments``)."""

from __future__ import annotations

from prometheus_client import Counter

from hub import processing
from hub.payments._config import PaymentSettings
from hub.payments._processor import PaymentsProcessor
from hub.records import PartnerCommand
from hub.serde import RegistryClient, serde_for
from hub.settings import Settings
from hub.topics import DOSSIER_EVENTS, PARTNER_COMMANDS, PAYMENTS

COMMANDS = Counter(
    "dvchub_payment_commands_total", "Payment commands issued, by command type.", ["type"]
)


def live_processor(
    settings: Settings, registry: RegistryClient, options: processing.RunnerOptions
) -> PaymentsProcessor:
    """The fold with the configuration of ``DVC_PAYMENT_*``; its status-query timers fire on
    the runner's clock."""
    prefix = settings.topic_prefix

    def count(command: PartnerCommand) -> None:
        COMMANDS.labels(str(command["command_type"])).inc()

    return PaymentsProcessor(
        serde_for(DOSSIER_EVENTS, prefix, registry),
        serde_for(PAYMENTS, prefix, registry),
        serde_for(PARTNER_COMMANDS, prefix, registry),
        PaymentSettings().policy(),
        on_command=count,
    )


SPEC = processing.ProcessorSpec(
    PaymentsProcessor.name,
    live_processor,
    honours=frozenset({processing.Option.CLOCK}),
    environment=("DVC_PAYMENT_*",),
)
