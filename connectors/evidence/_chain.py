"""A chain per partner, derived from the evidence log's order.

The recorders only append records; the chain is what reading them in offset order gives (one
partition holds a partner's records, so its order is the log's). That makes it crash-safe under
at-least-once: nothing is chained twice or in another order by a restart, and anyone re-reading
the log derives the same hashes. A record whose ``dedupe_key`` (direction and call id; or the
head a stamp covers) the chain already holds is a redelivery and is dropped.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

from connectors.evidence._entry import GENESIS, EvidenceEntry, Exchange, Record, Stamp


@dataclass
class Chain:
    """One partner's chain: its head, what it holds (``keep``), and what is stamped."""

    partner: str
    keep: bool = True
    entries: list[EvidenceEntry] = field(default_factory=list)
    length: int = 0
    head: str = GENESIS
    #: Index of the newest entry a stamp covers (-1: none).
    stamped: int = -1
    #: Indexes of the exchanges no stamp covers yet (a stamp covers every entry up to its own
    #: ``covers``, stamps not counted), oldest first.
    pending: deque[int] = field(default_factory=deque)
    _seen: set[str] = field(default_factory=set)

    def add(self, record: Record) -> EvidenceEntry | None:
        """The new link, or None for a redelivered record."""
        if record.dedupe_key in self._seen:
            return None
        self._seen.add(record.dedupe_key)
        entry = EvidenceEntry.link(self.length, self.head, record)
        self.length += 1
        self.head = entry.hash
        if isinstance(record, Stamp):
            self.mark_stamped(record.covers)
        else:
            self.pending.append(entry.index)
        if self.keep:
            self.entries.append(entry)
        return entry

    def mark_stamped(self, covers: int) -> None:
        self.stamped = max(self.stamped, covers)
        while self.pending and self.pending[0] <= covers:
            self.pending.popleft()

    @property
    def unstamped(self) -> int:
        """Exchanges no stamp covers yet."""
        return len(self.pending)


@dataclass
class Chains:
    """Every partner's chain; ``keep=False`` holds heads and dedupe keys only (the stamper)."""

    keep: bool = True
    by_partner: dict[str, Chain] = field(default_factory=dict)

    def add(self, record: Record) -> EvidenceEntry | None:
        chain = self.by_partner.get(record.partner)
        if chain is None:
            chain = self.by_partner[record.partner] = Chain(record.partner, self.keep)
        return chain.add(record)

    def extend(self, records: Iterable[Record]) -> Chains:
        for record in records:
            self.add(record)
        return self

    def find(
        self, *, call_id: str | None = None, dossier_id: str | None = None
    ) -> list[EvidenceEntry]:
        """Entries of exchanges with this call id or dossier (held chains only)."""
        held = (entry for chain in self.by_partner.values() for entry in chain.entries)
        return matching(held, call_id=call_id, dossier_id=dossier_id)


def matching(
    entries: Iterable[EvidenceEntry], *, call_id: str | None, dossier_id: str | None
) -> list[EvidenceEntry]:
    """The exchanges among ``entries`` with this call id and dossier (None: any)."""
    return [
        entry
        for entry in entries
        if isinstance(entry.record, Exchange)
        and (call_id is None or entry.record.call_id == call_id)
        and (dossier_id is None or entry.record.dossier_id == dossier_id)
    ]
