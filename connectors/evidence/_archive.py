"""The archive: a partner's chains in a signed container, in the spirit of ASiC-E (a zip whose
``META-INF`` holds a manifest of what it carries and a signature over the manifest), written on
a schedule (``dvchub evidence archive --every``).

Layout::

    mimetype                      application/vnd.etsi.asic-e+zip (first, stored)
    entries/<partner>.jsonl       the chain's entries, one JSON object a line, in index order
    META-INF/manifest.json        per chain: file digest, first and head index and hash, the
                                  previous archive's head it continues, the timestamps in it
    META-INF/signature.p7s        detached CMS over manifest.json by the hub's key (``signing``)

Archives are incremental: each holds the entries after the heads of the newest archive in the
directory, and says which head it continues, so a chain is verifiable archive by archive.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from connectors.evidence._chain import Chain, Chains
from connectors.evidence._config import TSA_URL, EvidenceConfig
from connectors.evidence._entry import GENESIS, Stamp, canonical, decode_record, sha256_hex
from connectors.evidence._errors import ArchiveNotSigned, ArchiveUnreadable, EvidenceUnconfigured
from connectors.evidence._recorder import evidence_topic
from hub.kafka import read_to_end
from hub.secrets import dev_secrets_allowed
from hub.settings import Settings

if TYPE_CHECKING:
    from signing import SigningConfig

FORMAT = "dvchub-evidence/1"
MIMETYPE = "application/vnd.etsi.asic-e+zip"
MANIFEST = "META-INF/manifest.json"
SIGNATURE = "META-INF/signature.p7s"


@dataclass(frozen=True)
class Head:
    """Where an archived chain ends: the next archive continues from it."""

    index: int
    hash: str


NO_HEAD = Head(-1, GENESIS)


def read_chains(settings: Settings, *, timeout_s: float = 120.0) -> Chains:
    """Every chain, derived from the whole evidence log as it is now."""
    chains = Chains(keep=True)
    for message in read_to_end(settings, evidence_topic(settings), timeout_s=timeout_s):
        try:
            chains.add(decode_record(message.value))
        except ValueError:
            continue  # the stamper logged it: no chain holds it
    return chains


def entries_file(partner: str) -> str:
    return f"entries/{partner}.jsonl"


def _chain_manifest(chain: Chain, after: Head) -> tuple[dict[str, object], bytes] | None:
    entries = [e for e in chain.entries if e.index > after.index]
    if not entries:
        return None
    lines = b"".join(canonical(entry.to_json()) + b"\n" for entry in entries)
    stamps = [
        {"index": e.index, "covers": e.record.covers, "head": e.record.head}
        for e in entries
        if isinstance(e.record, Stamp)
    ]
    manifest: dict[str, object] = {
        "partner": chain.partner, "file": entries_file(chain.partner), "sha256": sha256_hex(lines),
        "first_index": entries[0].index, "previous_hash": after.hash,
        "head_index": entries[-1].index, "head_hash": entries[-1].hash, "timestamps": stamps,
    }  # fmt: skip
    return manifest, lines


def build_archive(
    chains: Chains, previous: Mapping[str, Head], sign: SigningConfig, *, now: datetime
) -> bytes | None:
    """The archive of what follows ``previous`` (None: nothing new)."""
    manifests: list[dict[str, object]] = []
    files: dict[str, bytes] = {}
    for partner in sorted(chains.by_partner):
        part = _chain_manifest(chains.by_partner[partner], previous.get(partner, NO_HEAD))
        if part is not None:
            manifests.append(part[0])
            files[entries_file(partner)] = part[1]
    if not manifests:
        return None
    manifest = canonical({"format": FORMAT, "created_at": now.isoformat(), "chains": manifests})
    signature = sign_manifest(manifest, sign)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("mimetype", MIMETYPE, compress_type=zipfile.ZIP_STORED)
        for name, data in files.items():
            archive.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr(MANIFEST, manifest)
        archive.writestr(SIGNATURE, signature)
    return out.getvalue()


def sign_manifest(manifest: bytes, config: SigningConfig) -> bytes:
    from signing import SignatureLevel, SigningError, sign_document

    try:
        signed = sign_document(
            manifest, media_type="application/json", level=SignatureLevel.CMS_DETACHED,
            config=config,
        )  # fmt: skip
    except SigningError as exc:
        raise ArchiveNotSigned(f"the archive manifest could not be signed: {exc}") from exc
    return signed.content


def read_manifest(path: Path) -> dict[str, object]:
    try:
        with zipfile.ZipFile(path) as archive:
            body = json.loads(archive.read(MANIFEST))
    except (OSError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise ArchiveUnreadable(f"{path}: not an evidence archive: {exc}") from exc
    if not isinstance(body, dict) or body.get("format") != FORMAT:
        raise ArchiveUnreadable(f"{path}: not a {FORMAT} archive")
    return body


def last_heads(directory: Path) -> dict[str, Head]:
    """The heads of the newest archive in ``directory`` (none: every chain from its start)."""
    archives = sorted(directory.glob("evidence-*.zip"))
    if not archives:
        return {}
    chains = read_manifest(archives[-1]).get("chains")
    if not isinstance(chains, list):
        raise ArchiveUnreadable(f"{archives[-1]}: the manifest lists no chains")
    return {
        str(c["partner"]): Head(int(c["head_index"]), str(c["head_hash"]))
        for c in chains
        if isinstance(c, dict)
    }


def archive_once(settings: Settings, directory: Path, sign: SigningConfig) -> Path | None:
    """Write the next archive of the log into ``directory``; its path, or None if nothing new
    was recorded since the last one."""
    directory.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    data = build_archive(read_chains(settings), last_heads(directory), sign, now=now)
    if data is None:
        return None
    path = directory / f"evidence-{now:%Y%m%dT%H%M%S%fZ}.zip"
    tmp = path.with_suffix(".part")
    tmp.write_bytes(data)
    tmp.replace(path)  # a reader never sees half an archive
    return path


def archive_signing(config: EvidenceConfig, env: Mapping[str, str] | None = None) -> SigningConfig:
    """The hub's key archives are signed with (``DVC_SIGNING_*``). Without it, and in production
    without the TSA whose stamps an archive carries, the archiver refuses to start."""
    from signing import KeySourceError, signing_config_from_env

    env = os.environ if env is None else env
    if config.tsa_url is None and not dev_secrets_allowed(env):
        raise EvidenceUnconfigured(
            TSA_URL, "is not set: archived chain heads carry RFC 3161 stamps"
        )
    try:
        return signing_config_from_env(env)
    except KeySourceError as exc:
        raise EvidenceUnconfigured(
            "DVC_SIGNING_*", f"give no key to sign archives with: {exc}"
        ) from exc
