"""A provider's daily reconciliation file (đối soát), parsed strictly, never raising on a row.

CSV, UTF-8 (a BOM is tolerated), a header row, then one transaction a line::

    provider,transaction_id,payment_reference,amount_vnd,kind,occurred_at
    paygov,PG-000123,HS001-1A2B3C4D5E6F7A8B,200000,PAYMENT,2026-03-02T09:15:00+07:00

``kind`` is PAYMENT or REFUND; ``occurred_at`` is ISO 8601 with an offset; a row's day is its
Vietnam-time date. Each physical line is one row (no field may hold a line break), so every
problem is reported with its line number: a ``BadRow`` (a wrong field count, an empty line,
bytes that are not UTF-8, a bad amount, kind, reference or instant, a transaction id repeated).
A header that is not exactly the columns above makes the whole file one ``BadRow`` at line 1.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Final
from zoneinfo import ZoneInfo

from hub.payments._errors import StatementError
from hub.payments._ids import REFERENCE_PATTERN

TZ: Final = ZoneInfo("Asia/Ho_Chi_Minh")
COLUMNS: Final = (
    "provider", "transaction_id", "payment_reference", "amount_vnd", "kind", "occurred_at",
)  # fmt: skip
KINDS: Final = ("PAYMENT", "REFUND")
#: A file larger than this is refused whole (a province's busiest day is far below it).
MAX_BYTES: Final = 64 * 1024 * 1024
_TRANSACTION = re.compile(r"^[\x21-\x7e]{1,64}$")  # printable ASCII, no spaces
_PROVIDER = re.compile(r"^[a-z0-9_-]{1,32}$")
_AMOUNT = re.compile(r"^[0-9]{1,15}$")


@dataclass(frozen=True)
class StatementRow:
    """One transaction of the file; ``line`` is its 1-based line number."""

    line: int
    provider: str
    transaction_id: str
    payment_reference: str
    amount_vnd: int
    kind: str
    occurred_at: datetime  # UTC

    @property
    def day(self) -> date:
        """The row's Vietnam-time date."""
        return self.occurred_at.astimezone(TZ).date()


@dataclass(frozen=True)
class BadRow:
    """A line that is not a valid row, and why (no field values beyond short excerpts)."""

    line: int
    reason: str


@dataclass(frozen=True)
class Statement:
    rows: tuple[StatementRow, ...]
    bad_rows: tuple[BadRow, ...]


def read_statement(path: Path) -> Statement:
    """The statement in ``path``; ``StatementError`` if the file cannot be read at all."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise StatementError(f"{path}: {size} bytes, more than {MAX_BYTES}")
        data = path.read_bytes()
    except OSError as exc:
        raise StatementError(f"cannot read {path}: {exc.strerror or exc}") from exc
    return parse_statement(data)


def parse_statement(data: bytes) -> Statement:
    """Every row of ``data`` (the file's bytes) and every line that is not one."""
    if len(data) > MAX_BYTES:
        raise StatementError(f"{len(data)} bytes, more than {MAX_BYTES}")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()  # the final newline ends the last line; it starts none
    if not lines:
        return Statement((), (BadRow(1, "empty file: no header"),))
    header = _fields(lines[0])
    if header is None or tuple(header) != COLUMNS:
        return Statement((), (BadRow(1, f"the header must be {','.join(COLUMNS)}"),))
    rows: list[StatementRow] = []
    bad: list[BadRow] = []
    first_line: dict[str, int] = {}
    for number, raw in enumerate(lines[1:], start=2):
        fields = _fields(raw)
        if fields is None:
            bad.append(BadRow(number, "not UTF-8 text, or not one CSV record"))
            continue
        parsed = _row(number, fields)
        if isinstance(parsed, BadRow):
            bad.append(parsed)
            continue
        seen = first_line.setdefault(f"{parsed.provider}|{parsed.transaction_id}", number)
        if seen != number:
            bad.append(BadRow(number, f"transaction_id repeats line {seen}"))
            continue
        rows.append(parsed)
    return Statement(tuple(rows), tuple(bad))


def _fields(raw: bytes) -> list[str] | None:
    """The CSV fields of one physical line; None if it is not UTF-8 or not one record."""
    try:
        text = raw.removesuffix(b"\r").decode("utf-8")
    except UnicodeDecodeError:
        return None
    try:
        records = list(csv.reader([text], strict=True))
    except csv.Error:
        return None
    if not records:
        return []
    return records[0] if len(records) == 1 else None


def _row(line: int, fields: list[str]) -> StatementRow | BadRow:
    if not fields or fields == [""]:
        return BadRow(line, "empty line")
    if len(fields) != len(COLUMNS):
        return BadRow(line, f"{len(fields)} fields, expected {len(COLUMNS)}")
    provider, transaction, ref, amount, kind, occurred = (f.strip() for f in fields)
    if not _PROVIDER.match(provider):
        return BadRow(line, "provider must be 1-32 lower-case letters, digits, '_' or '-'")
    if not _TRANSACTION.match(transaction):
        return BadRow(line, "transaction_id must be 1-64 printable ASCII characters")
    if not REFERENCE_PATTERN.match(ref):
        return BadRow(line, "payment_reference must be 1-34 ASCII letters, digits or '-'")
    if not _AMOUNT.match(amount) or int(amount) == 0:
        return BadRow(line, f"amount_vnd {_excerpt(amount)} is not a positive whole number")
    if kind not in KINDS:
        return BadRow(line, f"kind {_excerpt(kind)} is not PAYMENT or REFUND")
    try:
        moment = datetime.fromisoformat(occurred)
    except ValueError:
        return BadRow(line, f"occurred_at {_excerpt(occurred)} is not an ISO 8601 instant")
    if moment.tzinfo is None or moment.utcoffset() is None:
        return BadRow(line, "occurred_at has no UTC offset")
    return StatementRow(line, provider, transaction, ref, int(amount), kind, moment.astimezone(UTC))


def _excerpt(value: str) -> str:
    return repr(value if len(value) <= 24 else value[:21] + "...")
