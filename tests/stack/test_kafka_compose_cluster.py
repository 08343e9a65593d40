"""docker-compose's three brokers, checked by parsing (no Docker engine here): compose's own
``kafka secrets`` command writes each node's ``server.properties`` where that node's container
reads it, and together they are one KRaft quorum of three voters whose topics keep three copies
and refuse an acks=all write with fewer than two in sync, as ``dvchub stack up --brokers 3``
(tests/stack/test_three_brokers.py proves that shape on real brokers)."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath
from typing import Any

import pytest

from hub.settings import Settings
from hub.stack import ContainerBroker
from hub.stack._container import SERVER_PROPERTIES
from tests.stack.test_kafka_compose import cert_names, compose, dvchub, option, properties

#: Where apache/kafka reads its server.properties (file input).
IMAGE_CONFIG = PurePosixPath("/mnt/shared/config")


def brokers(services: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n: s for n, s in services.items() if str(s.get("image", "")).startswith("apache/kafka")}


def seen_at(service: dict[str, Any], target: PurePosixPath, volume: Path) -> Path:
    """The folder of ``volume`` (the kafka-secrets volume, written into a tmp folder) that
    ``service`` sees at ``target``: a short ``volume:target`` mount or a long one with a
    ``subpath``."""
    for spec in service["volumes"]:
        if isinstance(spec, str):
            source, mounted, *_ = spec.split(":")
            if source == "kafka-secrets" and PurePosixPath(mounted) == target:
                return volume
        elif spec["source"] == "kafka-secrets" and PurePosixPath(spec["target"]) == target:
            assert spec["read_only"]
            return volume / str(spec.get("volume", {}).get("subpath", ""))
    raise AssertionError(f"nothing of kafka-secrets is mounted at {target}")


@pytest.fixture
def written(tmp_path: Path) -> Path:
    """compose's ``kafka-secrets`` command run into a folder standing for its volume."""
    command = compose()["services"]["kafka-secrets"]["command"]
    volume = tmp_path / "kafka-secrets"
    swap = {command[2]: str(volume), option(command, "--owner-uid"): str(os.geteuid())}
    dvchub(*[swap.get(arg, arg) for arg in command])
    return volume


def test_three_brokers_one_quorum_three_copies(written: Path) -> None:
    services = compose()["services"]
    nodes = brokers(services)
    assert list(nodes) == ["kafka", "kafka-2", "kafka-3"]
    voters = ",".join(f"{n}@{host}:9093" for n, host in enumerate(nodes, 1))
    configs = {name: properties(seen_at(s, IMAGE_CONFIG, written) / SERVER_PROPERTIES)
               for name, s in nodes.items()}  # fmt: skip
    assert sorted(c["node.id"] for c in configs.values()) == ["1", "2", "3"]
    for name, config in configs.items():
        assert config["controller.quorum.voters"] == voters, name
        assert config["advertised.listeners"] == f"SASL_SSL://{name}:9092,INTERNAL://{name}:9094"
        # The voters reach each other over the compose network, authenticated (SASL PLAIN).
        assert "CONTROLLER://0.0.0.0:9093" in config["listeners"].split(","), name
        assert config["listener.security.protocol.map"].startswith("CONTROLLER:SASL_PLAINTEXT")
        replication = {key: config[key] for key in (
            "default.replication.factor", "min.insync.replicas",
            "offsets.topic.replication.factor", "transaction.state.log.replication.factor",
            "transaction.state.log.min.isr")}  # fmt: skip
        assert replication == dict.fromkeys(replication, "3") | {
            "min.insync.replicas": "2", "transaction.state.log.min.isr": "2"
        }, name  # fmt: skip
        keystore = PurePosixPath(config["listener.name.sasl_ssl.ssl.keystore.location"])
        mounted = seen_at(nodes[name], keystore.parent, written)
        assert (mounted / keystore.name).is_file(), name
    assert set(nodes) <= cert_names(written)  # one keystore names every node


def test_each_node_its_own_log_one_cluster_id() -> None:
    services = compose()["services"]
    nodes = brokers(services)
    log = ":/var/lib/kafka/data"
    data = [next(v for v in s["volumes"] if isinstance(v, str) and v.endswith(log))
            for s in nodes.values()]  # fmt: skip
    assert len(set(data)) == len(nodes)
    assert {s["environment"]["CLUSTER_ID"] for s in nodes.values()} == {"5L6g3nShT-eMCtK--X86sw"}
    for name, service in nodes.items():
        assert not [key for key in service["environment"] if key.startswith("KAFKA_")], name
        assert "--bootstrap-server localhost:9094" in " ".join(service["healthcheck"]["test"])
    provision = services["kafka-provision"]["depends_on"]
    assert {n: provision[n]["condition"] for n in nodes} == dict.fromkeys(nodes, "service_healthy")


def test_the_hub_s_services_use_every_broker_and_three_copies() -> None:
    services = compose()["services"]
    env = {k: str(v) for k, v in services["lifecycle"]["environment"].items()}
    bootstrap = env["DVC_BOOTSTRAP_SERVERS"].split(",")
    assert bootstrap == [f"{name}:9092" for name in brokers(services)]
    names = {"DVC_BOOTSTRAP_SERVERS", "DVC_REPLICATION_FACTOR", "DVC_MIN_INSYNC_REPLICAS"}
    settings = Settings(**{k: v for k, v in env.items() if k in names})  # type: ignore[arg-type]
    assert (settings.replication_factor, settings.min_insync_replicas) == (3, 2)


def test_a_voter_the_certificate_would_not_name_is_refused() -> None:
    with pytest.raises(ValueError, match="every --voter must be a --host"):
        ContainerBroker(hosts=("kafka", "kafka-2"), voters=("kafka", "kafka-2", "kafka-3"))
    with pytest.raises(ValueError, match="the first voter is the broker itself"):
        ContainerBroker(hosts=("kafka", "kafka-2"), voters=("kafka-2", "kafka"))
