"""Partner commands against their outcomes (``partner.commands``, ``partner.outcomes``).

Every command has exactly one final outcome. The outbox derives an outcome's id from its command
and result, so a command redelivered after a crash gives the same outcome id again: a retry,
counted in the notes, not a double. Two outcome ids for one command are a double; an outcome of
no command disagrees, as do the outcomes of one dossier at one partner in another order than
their commands (the outbox keeps each dossier's order per partner).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from hub.audit._log import LogReader, Stored
from hub.audit._model import CheckResult, Finding, result
from hub.topics import PARTNER_COMMANDS, PARTNER_OUTCOMES

COMMANDS = "commands"


@dataclass(frozen=True)
class Commands:
    """The commands of the log, each once, in topic order, and each command's outcomes."""

    #: command id -> the command record (its first publication)
    by_id: Mapping[str, Mapping[str, object]]
    #: dossier id -> its command ids in the order they were published
    order: Mapping[str, list[str]]
    #: command id -> outcome id -> the outcome (its first publication), in arrival order
    outcomes: Mapping[str, Mapping[str, Mapping[str, object]]]
    findings: tuple[Finding, ...]
    notes: tuple[str, ...]


def _values(stored: list[Stored]) -> list[tuple[Stored, Mapping[str, object]]]:
    return [(s, s.value) for s in stored if s.value is not None]


def read_commands(reader: LogReader) -> Commands:
    findings: list[Finding] = []
    by_id: dict[str, Mapping[str, object]] = {}
    order: defaultdict[str, list[str]] = defaultdict(list)
    resent = 0
    for stored, command in _values(reader.records(PARTNER_COMMANDS)):
        command_id = str(command["command_id"])
        if command_id not in by_id:
            by_id[command_id] = command
            order[str(command["dossier_id"])].append(command_id)
        elif by_id[command_id]["payload"] == command["payload"]:
            resent += 1  # the same command again (a processor's redelivery): called once
        else:
            findings.append(
                Finding(
                    COMMANDS,
                    "disagreeing",
                    command_id,
                    f"another payload under the id at {stored.where}",
                )
            )
    outcomes: defaultdict[str, dict[str, Mapping[str, object]]] = defaultdict(dict)
    retried = 0
    for _, outcome in _values(reader.records(PARTNER_OUTCOMES)):
        kept = outcomes[str(outcome["command_id"])]
        retried += str(outcome["outcome_id"]) in kept
        kept.setdefault(str(outcome["outcome_id"]), outcome)
    notes = [
        f"{n} {what}"
        for n, what in ((resent, "commands published again"), (retried, "outcomes of retries"))
        if n
    ]
    return Commands(by_id, order, outcomes, tuple(findings), tuple(notes))


def check_commands(reader: LogReader, commands: Commands) -> CheckResult:
    if not reader.exists(PARTNER_COMMANDS):
        return CheckResult(COMMANDS, 0, skipped=f"no {reader.name(PARTNER_COMMANDS)}")
    findings = list(commands.findings)
    for command_id, command in commands.by_id.items():
        found = list(commands.outcomes.get(command_id, {}).values())
        kind = command["command_type"]
        if not found:
            findings.append(Finding(COMMANDS, "lost", command_id, f"{kind}: no outcome"))
        for extra in found[1:]:
            findings.append(
                Finding(
                    COMMANDS,
                    "duplicated",
                    command_id,
                    f"{kind}: a second outcome {extra['outcome']}",
                )
            )
    for command_id in sorted(commands.outcomes.keys() - commands.by_id.keys()):
        findings.append(Finding(COMMANDS, "disagreeing", command_id, "an outcome of no command"))
    findings += _order(commands)
    ended = Counter(
        str(o["outcome"]) for found in commands.outcomes.values() for o in list(found.values())[:1]
    )
    notes = [
        *commands.notes,
        *(f"{n} {kind}" for kind, n in sorted(ended.items()) if kind != "ACCEPTED"),
    ]
    return result(COMMANDS, len(commands.by_id), findings, notes)


def _order(commands: Commands) -> list[Finding]:
    """Per dossier and partner, the outcomes in their commands' order."""
    arrived: defaultdict[tuple[str, str], list[str]] = defaultdict(list)
    for command_id, found in commands.outcomes.items():
        for outcome in list(found.values())[:1]:
            arrived[(str(outcome["dossier_id"]), str(outcome["partner"]))].append(command_id)
    findings = []
    for (dossier_id, partner), got in sorted(arrived.items()):
        position = {cid: n for n, cid in enumerate(commands.order.get(dossier_id, []))}
        known = [cid for cid in got if cid in position]
        if known != sorted(known, key=position.__getitem__):
            findings.append(
                Finding(
                    COMMANDS,
                    "disagreeing",
                    f"{dossier_id}@{partner}",
                    "outcomes not in the order of their commands",
                )
            )
    return findings
