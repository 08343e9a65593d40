"""A short simulation on the real stack: every dossier ends in its script's final state, every
command has an outcome, and each simulator received exactly what the commands asked (one effect
per command; the national portal each dossier's statuses in order)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from dvchub.demo._chain import Chain
from dvchub.simulate import Callback, Script, load_province, scripts
from dvchub.simulate._run import run_simulation
from dvchub.simulate._tail import Tail
from hub import kafka
from hub.serde import RegistryClient, serde_for
from hub.settings import Settings
from hub.topics import DOSSIER_EVENTS, PARTNER_COMMANDS, PARTNER_OUTCOMES
from tests.e2e._partners import expected_calls

#: Shares high enough that a few dozen dossiers hold every kind of script.
SHARES = {"national_portal": 0.2, "postal": 0.3, "refused": 0.1, "supplement": 0.3, "late": 0.2,
          "callback_lost": 0.25, "callback_duplicated": 0.25, "notify": 0.3}  # fmt: skip


def _decoded(settings: Settings, registry: RegistryClient, spec: Any) -> list[dict[str, Any]]:
    serde = serde_for(spec, settings.topic_prefix, registry)
    name = spec.name(settings.topic_prefix)
    return [serde.decode(r.value) for r in kafka.read_to_end(settings, name) if r.value]


def chain_read_only(chain: Chain) -> frozenset[str]:
    """Command types that change nothing at the partner (a status query): not effects."""
    return frozenset(kind for s in chain.shown for kind in s.spec.workload.read_only)


def test_a_short_province_ends_as_its_scripts_say(
    settings: Settings, registry: RegistryClient, tmp_path: Path
) -> None:
    base = load_province()
    province = base.overridden(days=2, dossiers_per_day=28, target_real_s=45.0,
                               shares=replace(base.shares, **SHARES))  # fmt: skip
    planned = scripts(province)
    # the test means something only if every kind of script is in the run
    assert any(s.national for s in planned)
    assert any(s.postal for s in planned)
    assert any(s.late for s in planned)
    assert any(s.supplement for s in planned)
    assert any(s.final_status == "REFUSED" for s in planned)
    assert {s.callback for s in planned if s.fee_online} == set(Callback)
    seen: dict[str, Any] = {}

    def inspect(chain: Chain, tail: Tail, found: Sequence[Script]) -> None:
        ps = settings.model_copy(update={"topic_prefix": f"{settings.topic_prefix}sim.t."})
        commands = _decoded(ps, registry, PARTNER_COMMANDS)
        outcomes = {o["command_id"]: o for o in _decoded(ps, registry, PARTNER_OUTCOMES)}
        accepted: Counter[tuple[str, str]] = Counter()
        for command in commands:
            outcome = outcomes[command["command_id"]]
            seen.setdefault("kinds", Counter())[outcome["outcome"]] += 1
            read_only = chain_read_only(chain)
            if outcome["outcome"] == "ACCEPTED" and command["command_type"] not in read_only:
                accepted[(outcome["partner"], str(command["command_type"]))] += 1
        seen["accepted"] = accepted
        seen["effects"] = {
            (s.spec.name, kind): n for s in chain.shown
            for kind, n in s.spec.workload.calls(s.sim).items()
            if kind not in s.spec.workload.read_only
        }  # fmt: skip
        per: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for event in _decoded(ps, registry, DOSSIER_EVENTS):
            per[str(event["dossier_id"])].append(event)
        national = chain.sim("national")
        seen["violations"] = list(national.order_violations)  # type: ignore[attr-defined]
        seen["national"] = {d: (expected_calls(per[d]).national, national.statuses(d))  # type: ignore[attr-defined]
                            for d in (s.dossier_id for s in found)}  # fmt: skip

    figures = run_simulation(settings, registry, province, "t", tmp_path, live=False,
                             on_settled=inspect)  # fmt: skip

    assert figures.dossiers == len(planned)
    assert not figures.wrong_final
    assert not figures.without_outcome
    assert not figures.dead_letters, figures.dead_letters
    assert figures.audit_clean is True
    # the figures are the run's: the clock moved (behind the hub), every dossier by its agency
    assert figures.achieved_speed > 0
    assert sum(row["filed"] for row in figures.per_agency.values()) == len(planned)
    names = {a.name for a in province.agencies}
    assert set(figures.per_agency) <= names
    assert figures.observed_late == figures.planned_late == sum(s.late for s in planned)
    assert seen["kinds"]["FAILED"] == 0, seen["kinds"]
    for partner, received in figures.received.items():
        assert received.problems == (), (partner, received.problems, seen["violations"])
    # one effect at each partner per accepted command, whatever the IPNs and retries did
    effects = {k: v for k, v in seen["effects"].items() if v or seen["accepted"][k]}
    assert effects == dict(seen["accepted"])
    postal = sum(s.postal for s in planned)
    assert seen["accepted"][("vnpost", "POSTAL_ORDER")] == 2 * postal
    assert seen["accepted"][("bank", "PAYMENT_REQUEST")] == sum(s.fee_online for s in planned)
    for dossier, (expected, synced) in seen["national"].items():
        assert synced == expected, dossier
