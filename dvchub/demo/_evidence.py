"""Demo part: the signed evidence log of the partners section (``connectors.evidence``).

While the partners' story runs, evidence is on (``evidence_recorded``): every outbox worker
process and every inbound endpoint of the section records each partner message in
``<section prefix>evidence.log``, with a test PKI's RFC 3161 TSA for the timestamps and its
agency key for the archive's signature (``signing.testing.running_test_pki``). Then
(``show_evidence``) the real commands an operator runs: ``dvchub evidence archive`` (which
stamps every chain head first) and ``dvchub evidence verify`` on the run's archive, with one
entry a dispute would need (VNPost's order of a demo dossier) and each chain's head.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from rich.table import Table

from connectors.evidence import Exchange, read_chains, verify_archive
from dvchub.demo._console import console
from hub.settings import REPO_ROOT, Settings

DVCHUB = Path(sys.executable).with_name("dvchub")
#: The partner whose order the demo shows as a dispute would need it.
DISPUTED = "vnpost"


@dataclass(frozen=True)
class EvidenceRun:
    """Where the run's archive goes, and what ``dvchub evidence`` needs to stamp and sign."""

    directory: Path
    env: Mapping[str, str]
    trust_anchor: Path


@contextmanager
def evidence_recorded(run_id: str) -> Iterator[EvidenceRun]:
    """``DVC_EVIDENCE=on`` for what starts inside (the outbox processes inherit it, the inbound
    endpoints of this process read it when they start), and a running test PKI."""
    from signing.testing import running_test_pki

    directory = REPO_ROOT / ".cache" / "demo" / f"evidence-{run_id}"
    with running_test_pki(directory / "pki") as pki:
        before = os.environ.get("DVC_EVIDENCE")
        os.environ["DVC_EVIDENCE"] = "on"
        try:
            yield EvidenceRun(
                directory,
                {
                    "DVC_EVIDENCE": "on", "DVC_EVIDENCE_TSA_URL": pki.tsa_url,
                    "DVC_SIGNING_PKCS12_PATH": str(pki.pkcs12_path("agency")),
                    "DVC_SIGNING_PKCS12_PASSWORD": pki.pkcs12_password.decode(),
                    "DVC_SIGNING_TRUST_ANCHORS": str(pki.root_cert_path),
                },
                pki.root_cert_path,
            )  # fmt: skip
        finally:
            if before is None:
                del os.environ["DVC_EVIDENCE"]
            else:
                os.environ["DVC_EVIDENCE"] = before


def _dvchub(settings: Settings, run: EvidenceRun, *args: str) -> str:
    """``dvchub evidence ARGS`` on the section's topics; its output (checked)."""
    # COLUMNS: its rich output is printed inside the demo's, at the demo console's width
    env = {**os.environ, **run.env, "DVC_TOPIC_PREFIX": settings.topic_prefix,
           "COLUMNS": str(console.width)}  # fmt: skip
    done = subprocess.run(
        [str(DVCHUB), "evidence", *args], env=env, capture_output=True, text=True, timeout=300,
        check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"dvchub evidence {args[0]} failed: {done.stdout}{done.stderr}")
    return done.stdout


def _disputed(settings: Settings) -> Exchange:
    """VNPost's first order: the call a dispute with VNPost would be about."""
    chain = read_chains(settings).by_partner[DISPUTED]
    exchanges = (e.record for e in chain.entries if isinstance(e.record, Exchange))
    return next(x for x in exchanges if '"command_type":"POSTAL_ORDER"' in x.request)


def show_evidence(settings: Settings, run: EvidenceRun) -> None:
    console.rule("[bold]Evidence: every partner message chained, timestamped, archived, verified")
    run.directory.mkdir(parents=True, exist_ok=True)
    archived = _dvchub(settings, run, "archive", "--dir", str(run.directory))
    console.print(f"$ dvchub evidence archive --dir {run.directory}\n{archived.strip()}",
                  markup=False)  # fmt: skip
    (archive,) = sorted(run.directory.glob("evidence-*.zip"))
    result = verify_archive(archive, (run.trust_anchor,))
    table = Table("partner", "entries", "chain head", "timestamps", "newest covers entry")
    for partner in sorted({e.record.partner for e in result.entries}):
        chain = [e for e in result.entries if e.record.partner == partner]
        covers = [s.covers for s in result.stamps if s.partner == partner]
        table.add_row(partner, str(len(chain)), f"{chain[-1].hash[:16]}…", str(len(covers)),
                      str(max(covers)) if covers else "-")  # fmt: skip
    console.print(table)
    order = _disputed(settings)
    verified = _dvchub(settings, run, "verify", str(archive), "--call-id", order.call_id)
    console.print(f"$ dvchub evidence verify {archive.name} --call-id {order.call_id}   "
                  f"(VNPost's order of {order.dossier_id})\n{verified.strip()}",
                  markup=False)  # fmt: skip
