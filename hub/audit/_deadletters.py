"""Dead letters (``deadletter``): each says why (a reason code and a reason), carries the
original bytes and names where they came from: a topic, partition and offset, or none of the
three for an HTTP request (the schema's ``source_topic`` ''). When its source is a topic the
audit read, the bytes must be the record's at that offset."""

from __future__ import annotations

from collections.abc import Mapping

from hub.audit._log import LogReader
from hub.audit._model import CheckResult, Finding, result
from hub.topics import DEADLETTER, DOSSIER_EVENTS, PARTNER_COMMANDS, PARTNER_OUTCOMES

DEAD_LETTERS = "dead letters"


def _sources(reader: LogReader) -> dict[tuple[str, int, int], bytes]:
    """(topic, partition, offset) -> the value of every record of the topics dead letters name."""
    out: dict[tuple[str, int, int], bytes] = {}
    for spec in (DOSSIER_EVENTS, PARTNER_COMMANDS, PARTNER_OUTCOMES):
        for m in reader.messages(spec):
            out[(m.topic, m.partition or 0, m.offset or 0)] = m.value
    return out


def _problems(letter: Mapping[str, object], source: bytes | None) -> list[Finding]:
    subject = str(letter["dead_letter_id"])
    processor = letter["processor"]
    findings = []
    if letter["reason_code"] == "UNKNOWN" or not str(letter["reason"] or "").strip():
        findings.append(Finding(DEAD_LETTERS, "disagreeing", subject, f"{processor}: no reason"))
    original = letter["original_value"]
    assert isinstance(original, bytes)
    if not original and source != b"":
        findings.append(Finding(DEAD_LETTERS, "lost", subject, f"{processor}: no original bytes"))
    elif source is not None and original and original != source:
        findings.append(
            Finding(
                DEAD_LETTERS,
                "disagreeing",
                subject,
                f"{processor}: bytes differ from the source record",
            )
        )
    located = letter["source_partition"] is not None and letter["source_offset"] is not None
    named = bool(letter["source_topic"])
    if named != located or (not named and letter["source_partition"] is not None):
        findings.append(
            Finding(
                DEAD_LETTERS,
                "disagreeing",
                subject,
                f"{processor}: names no source topic and offset",
            )
        )
    return findings


def check_dead_letters(reader: LogReader) -> CheckResult:
    if not reader.exists(DEADLETTER):
        return CheckResult(DEAD_LETTERS, 0, skipped=f"no {reader.name(DEADLETTER)}")
    letters = [s.value for s in reader.records(DEADLETTER) if s.value is not None]
    sources = _sources(reader) if letters else {}
    findings: list[Finding] = []
    for letter in letters:
        partition, offset = letter["source_partition"], letter["source_offset"]
        source = None
        if isinstance(partition, int) and isinstance(offset, int):
            source = sources.get((str(letter["source_topic"]), partition, offset))
        findings += _problems(letter, source)
    return result(DEAD_LETTERS, len(letters), findings)
