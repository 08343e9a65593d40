"""``dvchub worker NAME [options]``: a worker of any processor of the registry
(``hub.processors.HUB_PROCESSORS``), ``dvchub worker --list``: the registry. Mount with
``register(app)``.

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
        """Run a worker of one hub processor (NAME, see --list; NAME --help for its options);
        start several to share its partitions."""
        from hub.processors import worker_main

        worker_main(["worker", *ctx.args], prog="dvchub")
