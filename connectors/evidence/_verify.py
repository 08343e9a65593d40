"""Verifying an archive: every entry's hash and link, every timestamp, the signature.

Each problem names where it is (``entry 3 of vnpost``) and why, so a tampered, removed or
reordered entry, a timestamp over another head and a manifest signed by nobody trusted are each
told apart. ``find`` gives the entries a dispute needs, with the timestamp that covers each.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from connectors.evidence._archive import MANIFEST, SIGNATURE, read_manifest
from connectors.evidence._chain import matching
from connectors.evidence._entry import EvidenceEntry, Stamp, sha256_hex
from connectors.evidence._errors import ArchiveUnreadable
from connectors.evidence._tsa import TokenCheck, check_token


@dataclass(frozen=True)
class Problem:
    where: str
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


@dataclass(frozen=True)
class Stamped:
    """A timestamp entry that verified: when, by whom, up to which entry."""

    partner: str
    index: int
    covers: int
    check: TokenCheck


@dataclass
class Verification:
    problems: list[Problem] = field(default_factory=list)
    entries: list[EvidenceEntry] = field(default_factory=list)
    stamps: list[Stamped] = field(default_factory=list)
    signer: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems

    def find(
        self, *, call_id: str | None = None, dossier_id: str | None = None
    ) -> list[EvidenceEntry]:
        return matching(self.entries, call_id=call_id, dossier_id=dossier_id)

    def covering(self, entry: EvidenceEntry) -> Stamped | None:
        """The earliest verified timestamp over ``entry`` (its chain, at or after it)."""
        partner = entry.record.partner
        found = [s for s in self.stamps if s.partner == partner and s.covers >= entry.index]
        return min(found, key=lambda s: s.covers) if found else None


def _field(chain: dict[str, object], name: str) -> str:
    if name not in chain:
        raise ArchiveUnreadable(f"the manifest's chain lacks {name!r}")
    return str(chain[name])


def _index(chain: dict[str, object], name: str) -> int:
    try:
        return int(_field(chain, name))
    except ValueError as exc:
        raise ArchiveUnreadable(f"the manifest's {name} is not an index") from exc


def _check_entries(
    partner: str, first: int, previous: str, lines: list[bytes], result: Verification
) -> dict[int, str]:
    """Hashes by index of what verified; problems into ``result``."""
    hashes = {first - 1: previous}
    expected, prev = first, previous
    for number, line in enumerate(lines):
        try:
            entry = EvidenceEntry.from_json(json.loads(line))
        except ValueError as exc:
            result.problems.append(Problem(f"entry {expected} of {partner}", f"unreadable: {exc}"))
            expected += 1
            continue
        where = f"entry {expected} of {partner}"
        if not entry.intact:
            reason = "its hash does not match its content (the entry was changed)"
            result.problems.append(Problem(where, reason))
        elif entry.index != expected:
            reason = f"found entry {entry.index} at line {number + 1} (an entry removed or moved)"
            result.problems.append(Problem(where, reason))
        elif entry.previous != prev:
            reason = f"its previous hash is not entry {expected - 1}'s (removed or moved)"
            result.problems.append(Problem(where, reason))
        elif entry.record.partner != partner:
            result.problems.append(Problem(where, f"an entry of {entry.record.partner}"))
        else:
            hashes[entry.index] = entry.hash
        result.entries.append(entry)
        expected, prev = entry.index + 1, entry.hash  # resync: one break, one problem
    return hashes


def _check_stamps(
    partner: str, entries: list[EvidenceEntry], hashes: dict[int, str],
    anchors: tuple[Path, ...], result: Verification,
) -> None:  # fmt: skip
    for entry in entries:
        stamp = entry.record
        if not isinstance(stamp, Stamp) or entry.record.partner != partner:
            continue
        where = f"timestamp at entry {entry.index} of {partner}"
        covered = hashes.get(stamp.covers)
        if stamp.covers in hashes and covered != stamp.head:
            reason = f"it stamps a head that is not entry {stamp.covers}'s hash (chain rewritten)"
            result.problems.append(Problem(where, reason))
            continue
        check = check_token(stamp.token, stamp.head, anchors)
        if check.problem is not None:
            result.problems.append(Problem(where, check.problem))
        else:
            result.stamps.append(Stamped(partner, entry.index, stamp.covers, check))


def _check_signature(
    archive: zipfile.ZipFile, anchors: tuple[Path, ...], result: Verification
) -> None:
    from signing import TrustConfig, verify

    try:
        signature = archive.read(SIGNATURE)
    except KeyError:
        result.problems.append(Problem(SIGNATURE, "missing: the archive is not signed"))
        return
    # soft-fail: an archive is verified long after its signer's revocation data expired
    trust = TrustConfig(anchors, revocation_mode="soft-fail")
    report = verify(archive.read(MANIFEST), trust=trust, signature=signature)
    if not report.valid:
        failed = [c.detail for s in report.signatures for c in s.checks if not c.passed]
        reason = "; ".join([*report.problems, *failed]) or "no valid signature"
        result.problems.append(Problem(SIGNATURE, f"does not verify: {reason}"))
        return
    signer = report.signatures[0].signer
    result.signer = signer.subject if signer is not None else ""


def verify_archive(path: Path, anchors: tuple[Path, ...]) -> Verification:
    """Every check on the archive at ``path``; trust: root certificates (the hub's signer and
    the TSA chain to them). ``ArchiveUnreadable`` if it is not an evidence archive at all."""
    manifest = read_manifest(path)
    result = Verification()
    chains = manifest.get("chains")
    if not isinstance(chains, list):
        raise ArchiveUnreadable(f"{path}: the manifest lists no chains")
    with zipfile.ZipFile(path) as archive:
        for chain in chains:
            if not isinstance(chain, dict):
                raise ArchiveUnreadable(f"{path}: a chain of the manifest is not an object")
            _verify_chain(archive, chain, anchors, result)
        _check_signature(archive, anchors, result)
    return result


def _verify_chain(
    archive: zipfile.ZipFile, chain: dict[str, object], anchors: tuple[Path, ...],
    result: Verification,
) -> None:  # fmt: skip
    partner, name = _field(chain, "partner"), _field(chain, "file")
    first, previous = _index(chain, "first_index"), _field(chain, "previous_hash")
    try:
        data = archive.read(name)
    except KeyError:
        result.problems.append(Problem(name, "missing from the archive"))
        return
    before = len(result.entries)
    hashes = _check_entries(partner, first, previous, data.splitlines(), result)
    _check_stamps(partner, result.entries[before:], hashes, anchors, result)
    head_index, head_hash = _index(chain, "head_index"), _field(chain, "head_hash")
    if hashes.get(head_index) != head_hash:
        result.problems.append(Problem(name, f"its head is not the manifest's entry {head_index}"))
    if sha256_hex(data) != _field(chain, "sha256"):
        result.problems.append(
            Problem(name, "its digest is not the manifest's (changed after signing)")
        )
