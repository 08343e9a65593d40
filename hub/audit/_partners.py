"""The partners' side: what each partner applied against what the hub commanded it.

The hub cannot see into a partner, so the audit asks whoever can: a ``PartnerLedger`` (the
simulators' ledgers answer it, ``connectors.common.simulator_ledgers``; a partner's own
reconciliation export could too). Every command the partner accepted (an ACCEPTED outcome)
must be applied there exactly once, under its idempotency key: none is lost, two are a double
(a retry that reached the partner under another key), a call under a key of no command
disagrees; where the partner cares about order (the national portal's statuses), each
dossier's calls come in the order of their commands.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from hub.audit._commands import Commands
from hub.audit._model import CheckResult, Finding, result


@dataclass(frozen=True, slots=True)
class PartnerCall:
    """One call a partner applied (a repeated key it recognised as such is not another):
    ``key`` is what it deduplicated on (``PartnerLedger.key_of`` of a command's idempotency
    key), ``dossier_id`` the dossier it names, if it names one."""

    key: str
    dossier_id: str | None
    command_type: str


@runtime_checkable
class PartnerLedger(Protocol):
    """What one partner applied, in the order it applied it."""

    @property
    def partner(self) -> str:
        """The partner's name, as the outcomes name it (``PartnerOutcome.partner``)."""
        ...

    @property
    def command_types(self) -> frozenset[str]:
        """The command types whose effects the ledger shows (a read-only query leaves none)."""
        ...

    @property
    def ordered(self) -> bool:
        """Whether each dossier's calls must arrive in the order of their commands."""
        ...

    def key_of(self, idempotency_key: str) -> str:
        """The key the partner deduplicates a command on (its idempotency key, or derived)."""
        ...

    def applied(self) -> Sequence[PartnerCall]:
        """Every call the partner applied, in order."""
        ...


def check_partner(ledger: PartnerLedger, commands: Commands) -> CheckResult:
    name = f"partner {ledger.partner}"
    wanted: dict[str, str] = {}  # partner key -> command id, of the commands it accepted
    for command_id, outcomes in commands.outcomes.items():
        first = next(iter(outcomes.values()))
        command = commands.by_id.get(command_id)
        if (
            command is not None
            and first["partner"] == ledger.partner
            and first["outcome"] == "ACCEPTED"
            and command["command_type"] in ledger.command_types
        ):
            wanted[ledger.key_of(str(command["idempotency_key"]))] = command_id
    calls = list(ledger.applied())
    got = Counter(call.key for call in calls)
    findings: list[Finding] = []
    for key, command_id in wanted.items():
        kind = commands.by_id[command_id]["command_type"]
        if got[key] == 0:
            findings.append(Finding(name, "lost", command_id, f"{kind}: accepted, not applied"))
        findings += [Finding(name, "duplicated", command_id, f"{kind}: applied again")] * max(
            0, got[key] - 1
        )
    known = {ledger.key_of(str(c["idempotency_key"])) for c in commands.by_id.values()}
    for call in calls:
        if call.key not in known:
            findings.append(
                Finding(
                    name,
                    "disagreeing",
                    call.dossier_id or "-",
                    f"{call.command_type}: a call of no command",
                )
            )
    if ledger.ordered:
        findings += _order(name, calls, wanted, commands)
    return result(name, len(wanted), findings)


def _order(
    name: str, calls: list[PartnerCall], wanted: dict[str, str], commands: Commands
) -> list[Finding]:
    per: defaultdict[str, list[str]] = defaultdict(list)
    for call in calls:
        if call.key in wanted and call.dossier_id is not None:
            per[call.dossier_id].append(wanted[call.key])
    findings = []
    for dossier_id, got in sorted(per.items()):
        position = {cid: n for n, cid in enumerate(commands.order.get(dossier_id, []))}
        if got != sorted(got, key=lambda cid: position.get(cid, -1)):
            findings.append(
                Finding(name, "disagreeing", dossier_id, "calls not in the order of their commands")
            )
    return findings
