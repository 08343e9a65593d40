"""Archives and ``dvchub evidence verify``: an intact archive verifies, and a changed, removed or
moved entry, a timestamp over another head, a rewritten chain and a changed manifest are each
found with where and why. Real tokens from the test PKI's TSA, the archive signed by its key."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from connectors.evidence import (
    Chains,
    EvidenceEntry,
    Exchange,
    Stamp,
    build_archive,
    verify_archive,
)
from connectors.evidence._archive import MANIFEST, entries_file
from connectors.evidence._entry import canonical
from dvchub.cli import app
from signing import SigningConfig
from signing.testing import TestPKI
from tests.connectors.evidence._records import NAME, exchange
from tests.connectors.evidence.conftest import stamp_head

Lines = list[bytes]


@pytest.fixture(scope="module")
def chains(pki: TestPKI) -> Chains:
    """vnpost: exchanges 0-2, a stamp (3) over 2, exchanges 4-5, a stamp (6) over 5; bank: one
    exchange and its stamp."""
    chains = Chains()
    for n in range(3):
        chains.add(exchange("vnpost", n))
    stamp_head(chains.by_partner["vnpost"], pki)
    for n in range(3, 5):
        chains.add(exchange("vnpost", n))
    stamp_head(chains.by_partner["vnpost"], pki)
    chains.add(exchange("bank", 1))
    stamp_head(chains.by_partner["bank"], pki)
    return chains


@pytest.fixture(scope="module")
def archive(
    chains: Chains, hub_key: SigningConfig, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    data = build_archive(chains, {}, hub_key, now=datetime.now(UTC))
    assert data is not None
    path = tmp_path_factory.mktemp("archive") / "evidence-1.zip"
    path.write_bytes(data)
    return path


def _rewritten(archive: Path, tmp_path: Path, change: Callable[[Lines], Lines], *,
               manifest: Callable[[dict[str, object]], None] | None = None) -> Path:  # fmt: skip
    """A copy of ``archive`` with vnpost's lines (and the manifest) changed, the rest kept."""
    out = tmp_path / "evidence-changed.zip"
    with zipfile.ZipFile(archive) as src, zipfile.ZipFile(out, "w") as dst:
        for name in src.namelist():
            data = src.read(name)
            if name == entries_file("vnpost"):
                data = b"".join(line + b"\n" for line in change(data.splitlines()))
            if name == MANIFEST and manifest is not None:
                body = json.loads(data)
                manifest(body)
                data = canonical(body)
            dst.writestr(name, data)
    return out


def _entry(line: bytes) -> EvidenceEntry:
    return EvidenceEntry.from_json(json.loads(line))


def _line(entry: EvidenceEntry) -> bytes:
    return canonical(entry.to_json())


def _anchors(pki: TestPKI) -> tuple[Path, ...]:
    return (pki.root_cert_path,)


def _problems(path: Path, pki: TestPKI) -> list[str]:
    return [str(p) for p in verify_archive(path, _anchors(pki)).problems]


def test_an_intact_archive_verifies(archive: Path, pki: TestPKI) -> None:
    result = verify_archive(archive, _anchors(pki))
    assert result.problems == []
    assert len(result.entries) == 9
    assert [(s.partner, s.covers) for s in result.stamps] == [
        ("bank", 0), ("vnpost", 2), ("vnpost", 5),
    ]  # fmt: skip
    assert result.signer  # the hub's certificate, trusted
    assert all(NAME not in e.record.request for e in result.find(dossier_id=None))  # type: ignore[union-attr]


def test_a_changed_entry_is_named(archive: Path, pki: TestPKI, tmp_path: Path) -> None:
    def change(lines: Lines) -> Lines:
        body = json.loads(lines[1])
        body["record"]["response"] = '{"outcome":"REJECTED"}'  # its hash left as it was
        return [lines[0], canonical(body), *lines[2:]]

    problems = _problems(_rewritten(archive, tmp_path, change), pki)
    assert problems[0] == (
        "entry 1 of vnpost: its hash does not match its content (the entry was changed)"
    )
    assert any("changed after signing" in p for p in problems)


def test_a_removed_entry_is_named(archive: Path, pki: TestPKI, tmp_path: Path) -> None:
    problems = _problems(_rewritten(archive, tmp_path, lambda ls: [ls[0], *ls[2:]]), pki)
    assert problems[0] == "entry 1 of vnpost: found entry 2 at line 2 (an entry removed or moved)"


def test_a_moved_entry_is_named(archive: Path, pki: TestPKI, tmp_path: Path) -> None:
    problems = _problems(_rewritten(archive, tmp_path, lambda ls: [ls[1], ls[0], *ls[2:]]), pki)
    assert problems[0] == "entry 0 of vnpost: found entry 1 at line 1 (an entry removed or moved)"


def _relinked(entries: list[EvidenceEntry]) -> Lines:
    """The chain re-hashed from its start, as one would forge it without the TSA's key."""
    out: list[EvidenceEntry] = []
    for entry in entries:
        previous = out[-1].hash if out else entry.previous
        out.append(EvidenceEntry.link(entry.index, previous, entry.record))
    return [_line(e) for e in out]


def test_a_timestamp_over_another_head_is_named(
    archive: Path, pki: TestPKI, tmp_path: Path
) -> None:
    def change(lines: Lines) -> Lines:
        entries = [_entry(line) for line in lines]
        first, second = entries[3].record, entries[6].record
        assert isinstance(first, Stamp)
        assert isinstance(second, Stamp)
        entries[3] = EvidenceEntry.link(3, entries[3].previous, Stamp(
            first.partner, first.covers, first.head, second.token, first.at))  # fmt: skip
        return _relinked(entries)

    problems = _problems(_rewritten(archive, tmp_path, change), pki)
    assert "timestamp at entry 3 of vnpost: its imprint is not the chain head" in problems


def test_a_rewritten_chain_is_caught_by_its_timestamps(
    archive: Path, pki: TestPKI, tmp_path: Path
) -> None:
    def change(lines: Lines) -> Lines:
        entries = [_entry(line) for line in lines]
        record = entries[1].record
        assert isinstance(record, Exchange)
        forged = replace(record, response='{"outcome":"REJECTED"}')
        entries[1] = EvidenceEntry.link(1, entries[0].hash, forged)
        return _relinked(entries)

    # the manifest is left as signed: its digest and head no longer match either
    problems = _problems(_rewritten(archive, tmp_path, change), pki)
    assert (
        "timestamp at entry 3 of vnpost: it stamps a head that is not entry 2's hash "
        "(chain rewritten)"
    ) in problems
    assert not any(p.startswith("entry ") for p in problems)  # every link holds


def test_a_changed_manifest_fails_the_signature(
    archive: Path, pki: TestPKI, tmp_path: Path
) -> None:
    def manifest(body: dict[str, object]) -> None:
        body["created_at"] = "2020-01-01T00:00:00+00:00"

    problems = _problems(_rewritten(archive, tmp_path, lambda ls: ls, manifest=manifest), pki)
    assert len(problems) == 1
    assert problems[0].startswith("META-INF/signature.p7s: does not verify")


def test_verify_prints_the_entry_a_dispute_needs(archive: Path, pki: TestPKI) -> None:
    args = ["evidence", "verify", str(archive), "--trust-anchor", str(pki.root_cert_path)]
    result = CliRunner().invoke(app, [*args, "--call-id", "vnpost-1"])
    assert result.exit_code == 0, result.output
    assert '"call_id": "vnpost-1"' in result.output
    assert "entry 1 of vnpost's chain: existed at" in result.output
    assert "OK 9 entries, 3 timestamps" in result.output
    missing = CliRunner().invoke(app, [*args, "--call-id", "vnpost-99"])
    assert missing.exit_code == 3
    assert "no entry for call id 'vnpost-99'" in missing.output


def test_verify_exits_non_zero_naming_the_break(
    archive: Path, pki: TestPKI, tmp_path: Path
) -> None:
    broken = _rewritten(archive, tmp_path, lambda ls: [ls[0], *ls[2:]])
    args = ["evidence", "verify", str(broken), "--trust-anchor", str(pki.root_cert_path)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1
    assert "BROKEN entry 1 of vnpost: found entry 2" in result.output
