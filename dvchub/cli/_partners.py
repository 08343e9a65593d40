"""``dvchub outbox worker --partner P`` and one command per partner's inbound endpoint
(``vnpost-callbacks``, ``bank-ipn``, ``national-intake``), all from the partners' specs
(``connectors.partners``). Mount with ``register(app)``.

A spec is imported only when its command runs (or its own help is shown): each partner's package
costs about a second to import, which every other ``dvchub`` command would otherwise pay.
"""

from __future__ import annotations

from collections.abc import Callable

import typer
from typer.core import TyperCommand

from connectors.partners import INBOUND, NAMES
from hub.settings import get_settings


class _InboundCommand(TyperCommand):
    """An inbound endpoint's command: its help is its spec's summary, read when shown."""

    def _summary(self) -> str:
        from connectors.partners import spec

        partner = INBOUND[str(self.name)]
        return next(i.summary for i in spec(partner).inbound if i.name == self.name)

    @property
    def help(self) -> str:
        return self._summary()

    @help.setter
    def help(self, value: object) -> None:
        """Set by click's constructor; the spec's summary wins."""

    def get_short_help_str(self, limit: int = 45) -> str:
        # `dvchub --help` lists every command: naming the partner imports no spec
        return f"The endpoint by which {INBOUND[str(self.name)]} calls the hub."


def _inbound(name: str) -> Callable[[], None]:
    """The command serving ``name`` from its spec (secrets and TLS checked first: SecretError
    -> exit 2, cli.main)."""

    def command() -> None:
        from connectors.partners import spec

        serve = next(i.serve for i in spec(INBOUND[name]).inbound if i.name == name)
        serve()

    return command


def register(app: typer.Typer) -> None:
    """Add ``outbox worker`` and the partners' inbound commands to ``app``."""
    outbox = typer.Typer(
        help="Partner calls: commands -> partners, outcomes.", no_args_is_help=True
    )

    @outbox.command("worker")
    def worker(
        partner: str = typer.Option(..., help=f"One of {', '.join(NAMES)}."),
        web_port: int = typer.Option(6070, help="Port of /ready, /status and /metrics."),
        web_host: str = typer.Option("127.0.0.1", envvar="DVC_WEB_HOST", help="Bind address."),
        concurrency: int = typer.Option(16, help="Dossiers called at once."),
        max_attempts: int | None = typer.Option(None, help="Give up after (default: never)."),
    ) -> None:
        """Consume partner commands in the partner's own group and call it; several workers
        share the partitions."""
        from connectors.outbox import OutboxOptions, RetryPolicy
        from dvchub.outbox import run

        if partner not in NAMES:
            raise typer.BadParameter(f"one of {', '.join(NAMES)}", param_hint="--partner")
        options = OutboxOptions(
            concurrency=concurrency, retry=RetryPolicy(max_attempts=max_attempts),
            web_host=web_host, web_port=web_port,
        )  # fmt: skip
        run(partner, options, get_settings())

    app.add_typer(outbox, name="outbox")

    for name in INBOUND:
        app.command(name, cls=_InboundCommand)(_inbound(name))
