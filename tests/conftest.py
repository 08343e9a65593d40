"""Shared fixtures: the real local stack, and per-test uuid-named topics.

Every test that touches Kafka gets its own topic prefix (``test.<uuid>.``), hence its own
topics, subjects and consumer groups, so tests never see each other's messages, and ``make
test`` runs them on two processes (pytest-xdist). Those that stop, restart or reconfigure the
shared stack itself are marked ``exclusive`` here and run alone, before the others.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from hub.kafka import delete_prefixed, ensure_topics
from hub.serde import RegistryClient
from hub.settings import Settings
from hub.stack import LocalStack

# The suite runs against the simulators with the development secrets published in the repository
# (hub.secrets). In os.environ, so that worker subprocesses inherit it; tests of production mode
# start their processes without it.
os.environ["DVC_DEV_SECRETS"] = "1"
# The suite logs in to the local stack's SASL_SSL listener as its admin principal, a super user,
# because every test makes topics under a prefix of its own; the services' own principals and
# their ACLs are tested in tests/stack/test_kafka_security.py and used by `make run`.
os.environ.setdefault("DVC_KAFKA_USERNAME", "admin")


#: Tests that stop, restart or reconfigure the shared stack (the broker, the registry, its
#: Prometheus): another test running at the same time would see its broker vanish.
_EXCLUSIVE = ("tests/stack/", "tests/monitoring/", "tests/lifecycle/test_chaos.py",
              "tests/faults/test_fault_suite.py")  # fmt: skip


#: Tests that kill and restart worker processes, run the whole demo, a province's workers or a
#: load: each loads both cores for a minute or two, so two at once stretch each other's waits.
#: And those that serve HTTPS with the demo's PKI (``dvchub.demo._servers.demo_pki``), which the
#: demo's own run makes afresh in the same folder. ``make test`` runs them one after another on
#: one of its processes (``--dist loadgroup``), beside the light tests.
_HEAVY = (
    "kill", "rebalance", "tests/hub/test_demo.py", "tests/audit/test_audit.py",
    "tests/bench/test_load.py", "tests/e2e/test_partners_e2e.py",
    "tests/routing/test_desks_demo.py", "tests/demo_console/test_console.py",
    "tests/simulate/test_simulate_live.py",
)  # fmt: skip


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.nodeid.startswith(_EXCLUSIVE):
            item.add_marker(pytest.mark.exclusive)
        elif any(part in item.nodeid for part in _HEAVY):
            item.add_marker(pytest.mark.xdist_group("heavy"))


@pytest.fixture(scope="session")
def stack_settings() -> Settings:
    """Settings of the running local stack (started here if ``make test`` did not)."""
    settings = Settings()
    if not settings.bootstrap_servers_override:
        LocalStack(settings).up()
    return settings


@pytest.fixture(scope="session")
def registry(stack_settings: Settings) -> Iterator[RegistryClient]:
    with RegistryClient(stack_settings.schema_registry_url) as client:
        yield client


@pytest.fixture
def topic_prefix() -> str:
    return f"test.{uuid.uuid4().hex[:12]}."


@pytest.fixture
def settings(stack_settings: Settings, topic_prefix: str) -> Iterator[Settings]:
    """Stack settings with this test's own topic prefix and 3 partitions; the test's topics
    are deleted after it (a broker holding every test's partitions gets slow to restart)."""
    mine = stack_settings.model_copy(update={"topic_prefix": topic_prefix, "partitions": 3})
    yield mine
    delete_prefixed(mine)


@pytest.fixture
def hub_topics(settings: Settings) -> Settings:
    """``settings`` after creating every hub topic under this test's prefix."""
    ensure_topics(settings)
    return settings
