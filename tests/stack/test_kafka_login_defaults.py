"""How a client logs in to Kafka by default, and the ACL table itself: no broker needed (the
broker's enforcement of both is tests/stack/test_kafka_security.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from hub.kafka import KafkaSecurityError, faust_credentials, security_config
from hub.settings import Settings
from hub.stack._acls import PRINCIPALS, SERVICE_GRANTS, acl_key, all_acls

PREFIX = "sec."
EVENTS = f"{PREFIX}dossier.events"


def test_sasl_ssl_is_the_default_and_needs_a_login(tmp_path: Path) -> None:
    local = Settings(_env_file=None).model_copy(
        update={"bootstrap_servers_override": None, "stack_home": tmp_path, "kafka_username": None}
    )
    assert local.kafka_security_protocol == "SASL_SSL"
    assert local.bootstrap_servers == f"{local.kafka_host}:{local.kafka_port}"
    with pytest.raises(KafkaSecurityError, match="DVC_KAFKA_USERNAME"):
        security_config(local)
    # Against the local stack, the password file and the CA default to the stack's own.
    assert local.kafka_ca_path == tmp_path / "kafka" / "security" / "ca.pem"
    stack_file = tmp_path / "kafka" / "security" / "users" / "api.password"
    stack_file.parent.mkdir(parents=True)
    stack_file.write_text("from-the-stack\n")
    assert local.model_copy(update={"kafka_username": "api"}).kafka_password_value() == (
        "from-the-stack"
    )
    # Another cluster gets no defaults: its password and CA are the deployment's to give.
    remote = local.model_copy(
        update={"bootstrap_servers_override": "kafka:9093", "kafka_username": "api"}
    )
    assert remote.kafka_ca_path is None
    with pytest.raises(KafkaSecurityError, match="DVC_KAFKA_PASSWORD"):
        security_config(remote)
    plain = local.model_copy(update={"kafka_security_protocol": "PLAINTEXT"})
    assert security_config(plain) == {}
    assert faust_credentials(plain) is None
    secured = remote
    secret = tmp_path / "api.password"
    secret.write_text("s3cret-of-at-least-16\n")
    config = security_config(
        secured.model_copy(update={"kafka_username": "api", "kafka_password_file": secret})
    )
    assert config["sasl_plain_password"] == "s3cret-of-at-least-16"
    assert config["sasl_mechanism"] == "SCRAM-SHA-512"
    both = {"kafka_username": "api", "kafka_password_file": secret, "kafka_password": SecretStr("")}
    with pytest.raises(ValueError, match="not both"):
        security_config(secured.model_copy(update=both))


def _operations(service: str, resource: str, name: str) -> set[str]:
    return {
        op
        for grant in SERVICE_GRANTS[service]
        if grant.resource == resource and grant.resource_name(PREFIX) == name
        for op in grant.operations
    }


def test_the_acl_table_keeps_each_service_to_its_own() -> None:
    assert set(PRINCIPALS) == set(SERVICE_GRANTS) | {"admin"}
    assert _operations("portal", "topic", EVENTS) == {"WRITE", "DESCRIBE", "CREATE"}
    state_topics = {f"{PREFIX}{s}" for s in ("dossier.state", "kpi", "kpi.dossiers",
                                             "kpi.procedures", "sla.deadlines")}  # fmt: skip
    integrator = [g for g in SERVICE_GRANTS["integrator"] if g.resource == "topic"]
    assert {g.resource_name(PREFIX) for g in integrator} == state_topics
    assert all(set(g.operations) == {"READ", "DESCRIBE"} for g in integrator)
    for service, grants in SERVICE_GRANTS.items():
        for grant in grants:
            # Nothing outside the prefix; never the whole prefix or ALL.
            assert not grant.absolute, service
            assert grant.name, service
            assert "ALL" not in grant.operations, service
    acls = all_acls(PREFIX)
    assert len({acl_key(a) for a in acls}) == len(acls)


def test_the_table_names_the_connectors_own_topics() -> None:
    """hub/ may not import connectors/, so the ACL table repeats their state topics' names."""
    from connectors.bank._settled import SETTLED_SUFFIX
    from connectors.evidence import EVIDENCE_LOG
    from connectors.national._intake import INTAKE_STATE_SUFFIX
    from connectors.portal import ACCEPTED_IDS_SUFFIX
    from connectors.vnpost import CALLBACK_IDS_SUFFIX
    from hub.stack import _acls

    assert _acls.PORTAL_ACCEPTED_IDS == ACCEPTED_IDS_SUFFIX
    assert _acls.VNPOST_CALLBACK_IDS == CALLBACK_IDS_SUFFIX
    assert _acls.BANK_SETTLED == SETTLED_SUFFIX
    assert _acls.NATIONAL_INTAKE == INTAKE_STATE_SUFFIX
    assert _acls.EVIDENCE == EVIDENCE_LOG
