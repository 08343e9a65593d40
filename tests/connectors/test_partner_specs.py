"""Every partner through its spec (``connectors.partners``): one abstract contract run against
each spec's client and its own simulator (one command of each kind is one call; a redelivery
doubles nothing and gets the first reference; each partner's own faults and protocol details are
in tests/connectors/<partner>), and the registry checked against the schemas, the
routing core, the CLI and docker-compose, so a new partner is its package, its schemas, its
routing (or payments) rules and its name in the registry, and nothing is forgotten elsewhere."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, ClassVar

import pytest
import yaml

from connectors.common import PartnerSpec, Payload
from connectors.outbox import Command, PartnerClient
from connectors.partners import INBOUND, NAMES, UnknownPartner, all_specs, spec
from dvchub.cli import app
from dvchub.cli._partners import _InboundCommand
from hub.routing import KINDS
from hub.settings import REPO_ROOT


def command(payload: Payload, key: str | None = None) -> Command:
    command_type, name, body = payload
    return Command(
        command_id=str(uuid.uuid4()), command_type=command_type, dossier_id="HS-SPEC-1",
        idempotency_key=key or str(uuid.uuid4()), created_at=datetime.now(UTC),
        correlation_id="HS-SPEC-1", causation_id=None, payload_name=name, payload=body,
    )  # fmt: skip


class PartnerSpecContract:
    """What every partner's spec must hold: its client, built by the spec's own factory from
    the workload's variables, against the spec's simulator."""

    name: ClassVar[str]

    @pytest.fixture
    def partner(self) -> PartnerSpec:
        return spec(self.name)

    @pytest.fixture
    def sim(self, partner: PartnerSpec) -> Iterator[Any]:
        with partner.simulator() as sim:
            yield sim

    @pytest.fixture
    def client(
        self, partner: PartnerSpec, sim: Any, monkeypatch: pytest.MonkeyPatch
    ) -> Iterator[PartnerClient]:
        for variable, value in partner.workload.env(partner.workload.url(sim)).items():
            monkeypatch.setenv(variable, value)
        client = partner.client()
        yield client
        client.close()

    def send(self, partner: PartnerSpec, sim: Any, client: PartnerClient, times: int) -> None:
        """Each sample, ``times`` times under the same key (a redelivery after the first): the
        partner answers a redelivery with the first call's reference."""
        for sample in partner.workload.samples():
            partner.workload.before(sim, sample)
            first = command(sample)
            answers = [client.call(first, attempt).reference for attempt in range(1, times + 1)]
            assert answers == answers[:1] * times, sample[0]

    def test_the_client_is_the_partner_the_spec_names(
        self, partner: PartnerSpec, client: PartnerClient
    ) -> None:
        assert client.partner == partner.name
        assert client.command_types == partner.command_types

    def test_the_samples_cover_every_kind_once(self, partner: PartnerSpec) -> None:
        kinds = [command_type for command_type, _, _ in partner.workload.samples()]
        assert sorted(kinds) == sorted(partner.command_types)

    def test_one_command_of_each_kind_is_one_call(
        self, partner: PartnerSpec, sim: Any, client: PartnerClient
    ) -> None:
        assert +partner.workload.calls(sim) == Counter()
        self.send(partner, sim, client, times=1)
        assert partner.workload.calls(sim) == Counter(dict.fromkeys(partner.command_types, 1))

    def test_a_redelivered_command_is_not_doubled(
        self, partner: PartnerSpec, sim: Any, client: PartnerClient
    ) -> None:
        self.send(partner, sim, client, times=2)
        read_only = partner.workload.read_only
        expected = {kind: 2 if kind in read_only else 1 for kind in partner.command_types}
        assert partner.workload.calls(sim) == Counter(expected)
        assert partner.workload.received(sim).problems == ()


class TestVnpost(PartnerSpecContract):
    name = "vnpost"


class TestNational(PartnerSpecContract):
    name = "national"


class TestEmc(PartnerSpecContract):
    name = "emc"


class TestBank(PartnerSpecContract):
    name = "bank"


class TestNotify(PartnerSpecContract):
    name = "notify"


def test_the_contract_runs_against_every_spec() -> None:
    assert sorted(c.name for c in PartnerSpecContract.__subclasses__()) == sorted(NAMES)


# -- the registry against the schemas, the routing core, the CLI and docker-compose ------------


def test_each_package_declares_the_spec_of_its_name() -> None:
    assert [s.name for s in all_specs()] == list(NAMES)


def test_an_unknown_partner_names_the_known_ones() -> None:
    with pytest.raises(UnknownPartner) as unknown:
        spec("tax")
    assert all(name in str(unknown.value) for name in NAMES)


def test_the_specs_kinds_are_the_schemas_command_types_each_once() -> None:
    schema = json.loads((REPO_ROOT / "schemas" / "vn.dvchub.CommandType.avsc").read_text())
    kinds = [kind for s in all_specs() for kind in s.command_types]
    assert len(kinds) == len(set(kinds))  # one partner per command type
    assert set(kinds) == set(schema["symbols"]) - {schema["default"]}
    # the routing core emits only types some partner handles (payments emits the PAYMENT_*)
    assert {command_type for command_type, _ in KINDS.values()} <= set(kinds)


def test_the_inbound_table_is_the_specs() -> None:
    assert {i.name: s.name for s in all_specs() for i in s.inbound} == INBOUND


def test_the_cli_has_one_command_per_inbound_endpoint() -> None:
    import typer.main

    commands = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    inbound = {n for n, c in commands.items() if isinstance(c, _InboundCommand)}
    assert inbound == set(INBOUND)
    for name in INBOUND:  # the help is the spec's summary
        assert commands[name].help.startswith(next(
            i.summary for i in spec(INBOUND[name]).inbound if i.name == name)[:20])  # fmt: skip


def test_compose_runs_each_partners_outbox_and_inbound_endpoints_and_nothing_else() -> None:
    services = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())["services"]
    commands = {name: s["command"] for name, s in services.items() if "command" in s}
    outboxes = {name: c for name, c in commands.items() if c[:2] == ["outbox", "worker"]}
    assert {name: c[c.index("--partner") + 1] for name, c in outboxes.items()} == {
        f"outbox-{partner}": partner for partner in NAMES
    }
    inbound = {name: c for name, c in commands.items() if c[0] in INBOUND}
    assert inbound == {name: [name] for name in INBOUND}


def test_each_partner_is_in_the_demo_by_its_spec_and_the_demo_names_none() -> None:
    import ast

    for partner in all_specs():
        assert partner.demo is not None, f"{partner.name} has no demo part: not in make run"
        calls = partner.demo.calls
        if calls is not None:  # the endpoint its simulator calls is one of its own
            assert calls.inbound in {i.name for i in partner.inbound}, partner.name
    # the demo reaches partners through their specs only: no partner package imported
    source = (REPO_ROOT / "dvchub" / "demo" / "_partners.py").read_text(encoding="utf-8")
    imported = {
        node.module
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.ImportFrom) and node.module
    }
    assert not {m for m in imported for name in NAMES if m.startswith(f"connectors.{name}")}
