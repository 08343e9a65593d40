"""``dvchub evidence stamp|archive|verify``: the evidence log of partner messages
(``connectors.evidence``). ``signing`` (the extra) is imported inside the commands."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from dvchub.cli._verify import TrustAnchorOption
from hub.settings import get_settings

if TYPE_CHECKING:
    from connectors.evidence import EvidenceEntry, Verification

app = typer.Typer(help="The signed evidence log of every partner message (DVC_EVIDENCE=on).")
console = Console(highlight=False)
#: Exit codes of ``verify``: the archive is broken / no entry matches / not an archive.
BROKEN, NOT_FOUND, UNREADABLE = 1, 3, 2


@app.command()
def stamp() -> None:
    """Follow the evidence log and stamp each partner's chain head per batch
    (DVC_EVIDENCE_TSA_URL, DVC_EVIDENCE_BATCH_ENTRIES, DVC_EVIDENCE_BATCH_SECONDS)."""
    from connectors.evidence import EvidenceConfig, Stamper

    stamper = Stamper(get_settings(), EvidenceConfig.from_env())
    try:
        stamper.run()
    except KeyboardInterrupt:
        stamper.stop()


@app.command()
def archive(
    directory: Annotated[Path, typer.Option("--dir", help="Where archives are written.")],
    every: Annotated[
        float | None, typer.Option(help="Seconds between archives; once if not given.")
    ] = None,
) -> None:
    """Write the entries recorded since the last archive in DIR, signed by the hub's key
    (DVC_SIGNING_*), after stamping every unstamped head (DVC_EVIDENCE_TSA_URL: required in
    production, optional with DVC_DEV_SECRETS=1)."""
    from connectors.evidence import EvidenceConfig, Stamper, archive_once, archive_signing

    settings, config = get_settings(), EvidenceConfig.from_env()
    sign = archive_signing(config)  # refused now, not at the first archive
    stopping = threading.Event()
    while True:
        if config.tsa_url is not None:
            stamper = Stamper(settings, config)
            try:
                stamper.flush()
            finally:
                stamper.close()
        path = archive_once(settings, directory, sign)
        console.print(f"archived {path}" if path else "nothing recorded since the last archive")
        if every is None or stopping.wait(every):
            return


def _show(entry: EvidenceEntry, result: Verification) -> None:
    console.print(json.dumps(entry.to_json(), indent=2, ensure_ascii=False), markup=False)
    covering = result.covering(entry)
    where = f"entry {entry.index} of {entry.record.partner}'s chain"
    if covering is None:
        console.print(f"{where}: not timestamped yet; covered by the archive signature only")
    else:
        time = covering.check.time.isoformat() if covering.check.time else "?"
        console.print(
            f"{where}: existed at {time} (RFC 3161 token at entry {covering.index}, "
            f"TSA {covering.check.tsa})",
            markup=False,
        )


@app.command()
def verify(
    archive: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="The archive.")],
    call_id: Annotated[str | None, typer.Option(help="Print the entry of this call id.")] = None,
    dossier: Annotated[str | None, typer.Option(help="Print the entries of this dossier.")] = None,
    trust_anchor: TrustAnchorOption = None,
) -> None:
    """Check every entry's hash and link, every timestamp (imprint = chain head, TSA chain) and
    the archive's signature; print the entries a dispute needs. Exit 1 naming the first break."""
    from connectors.evidence import ArchiveUnreadable, verify_archive
    from signing import KeySourceError, trust_config_from_env

    try:
        anchors = trust_config_from_env(extra_anchors=tuple(trust_anchor or ())).trust_anchor_paths
        result = verify_archive(archive, anchors)
    except (ArchiveUnreadable, KeySourceError) as exc:
        console.print(f"[red]{exc}", markup=True)
        raise typer.Exit(UNREADABLE) from exc
    for problem in result.problems:
        console.print(f"BROKEN {problem}", markup=False)
    asked = call_id is not None or dossier is not None
    found = result.find(call_id=call_id, dossier_id=dossier) if asked else []
    if asked:
        for entry in found:
            _show(entry, result)
        if not found:
            console.print(f"no entry for call id {call_id!r} / dossier {dossier!r}", markup=False)
    if not result.ok:
        raise typer.Exit(BROKEN)
    console.print(
        f"OK {len(result.entries)} entries, {len(result.stamps)} timestamps, signed by "
        f"{result.signer}",
        markup=False,
    )
    if asked and not found:
        raise typer.Exit(NOT_FOUND)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="evidence")
