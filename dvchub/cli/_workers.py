"""``dvchub worker NAME [options]``: a worker of any processor of the registry
(``dvchub.processors.PROCESSORS``: the hub's and signing), ``dvchub worker --list``: the
registry. Mount with ``register(app)``.

The arguments go as they are to ``hub.processors``' parser, the one behind ``python -m
hub.processing worker`` too, so both entry points take the same options for every processor;
faust is imported only when a worker runs or with --list.
"""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add ``worker`` to ``app``."""

    @app.command(
        "worker",
        # everything, --help included, is hub.processing's parser's to read
        add_help_option=False,
        context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    )
    def worker(ctx: typer.Context) -> None:
        """Run a worker of one processor (NAME, see --list; NAME --help for its options);
        start several to share its partitions."""
        from dvchub.processors import PROCESSORS
        from hub.processors import worker_main

        worker_main(["worker", *ctx.args], prog="dvchub", registry=PROCESSORS)
