"""The local stack: a real Kafka broker (KRaft) and a real schema registry, without Docker.

Both come from Maven Central through the machine's ``mvn`` and run as background JVMs whose
jars, data, pid files and logs live under ``DVC_STACK_HOME`` (default ``.cache/stack``).
``up`` is idempotent: a component that is already running and ready is left alone. Both keep
their data on disk (the broker its log, the registry an H2 file database), so ``down``/``up``
and a reboot lose neither records nor the schema ids they carry.

``DVC_KAFKA_BROKERS`` (``dvchub stack up --brokers 3``) makes it a cluster of N KRaft nodes, the
production shape at 3 (``_kafka.py``: ports, folders, quorum): the hub's topics then get
``min(3, N)`` replicas and, from 3, ``min.insync.replicas`` 2, so an ``acks=all`` write survives
the loss of any one broker and is refused, not lost, when two are down. ``down`` stops every node
it finds under the stack home, whatever N the settings say.

Every listener of the broker authenticates. Clients use ``DVC_KAFKA_PORT`` (SASL_SSL:
SCRAM-SHA-512 over TLS with the stack's own CA, one principal per service bound by the ACLs of
``_acls.py``; ``admin`` is a super user); the broker's own loopback listeners (INTERNAL, the
client port + 2, and CONTROLLER) take SASL PLAIN logins of its own two principals. ``up``
provisions the users and ACLs (``_security.py``). A PLAINTEXT listener exists only when
``DVC_KAFKA_PLAINTEXT_PORT`` is set (a benchmark's baseline), and its anonymous clients may do
nothing they are not granted.

Optionally (``LocalStack(settings, with_prometheus=True)``, ``dvchub stack up
--with-prometheus``) a real Prometheus server from the OS package, scraping whatever processes
registered themselves with ``register_scrape_target``; ``down`` stops it whether asked for or not.

A broker in a container (docker-compose, ``hub.stack._container``) is given the same security
by two commands: ``write_broker_secrets`` (``dvchub kafka secrets``: the CA, keystore, password
files and a ``server.properties`` from the same template) and ``provision_from_secrets``
(``dvchub kafka provision``: the same user and ACL provisioning, over the network).

Exceptions::

    StackError
    ├── ToolMissing         java, mvn or /usr/bin/prometheus is not installed
    ├── FetchFailed         Maven could not fetch a component
    ├── PortInUse           another process holds a port a component needs
    ├── NotReady            a component did not become ready in time (the message carries its
    │                       log tail), or a broker could not be provisioned
    └── SecretsFolderError  a broker's secrets folder cannot be written or lacks a password
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from hub.settings import Settings
from hub.stack._acls import PRINCIPALS
from hub.stack._apicurio import ApicurioRegistry
from hub.stack._container import ContainerBroker, provision_from_secrets, write_broker_secrets
from hub.stack._exceptions import (
    FetchFailed,
    NotReady,
    PortInUse,
    SecretsFolderError,
    StackError,
    ToolMissing,
)
from hub.stack._kafka import KafkaNode, node_name
from hub.stack._maven import link_fetched_components
from hub.stack._process import ManagedProcess, tail
from hub.stack._prometheus import (
    PrometheusServer,
    PrometheusSettings,
    register_scrape_target,
    scrape_target,
    targets_dir,
    unregister_scrape_target,
)
from hub.stack._security import (
    Provisioned,
    as_service,
    grant_prefix,
    management_admin,
    revoke_prefix,
    services_granted,
)

__all__ = [
    "PRINCIPALS",
    "ApicurioRegistry",
    "ComponentStatus",
    "ContainerBroker",
    "FetchFailed",
    "KafkaNode",
    "LocalStack",
    "NotReady",
    "PortInUse",
    "PrometheusServer",
    "PrometheusSettings",
    "Provisioned",
    "SecretsFolderError",
    "StackError",
    "ToolMissing",
    "as_service",
    "grant_prefix",
    "link_fetched_components",
    "management_admin",
    "provision_from_secrets",
    "register_scrape_target",
    "revoke_prefix",
    "running_brokers",
    "scrape_target",
    "services_granted",
    "tail",
    "targets_dir",
    "unregister_scrape_target",
    "write_broker_secrets",
]


def _is_node_name(name: str) -> bool:
    """``kafka`` or ``kafka-<n>``: a folder of a Kafka node (not ``kafka-cluster.id``)."""
    suffix = name.removeprefix("kafka-")
    return name == node_name(1, 1) or (suffix.isdigit() and name == node_name(int(suffix), 2))


def running_brokers(settings: Settings) -> int | None:
    """How many nodes the stack under ``settings.stack_home`` runs as a cluster (``kafka-<n>``
    folders, one of them running), or None: a CLI without ``--brokers`` follows the running
    stack rather than a default that would take it for stopped."""
    nodes = [f for f in settings.stack_home.glob("kafka-*") if f.is_dir() and _is_node_name(f.name)]
    if any(ManagedProcess(f.name, f).pid() is not None for f in nodes):
        return len(nodes)
    return None


class Component(Protocol):
    @property
    def process(self) -> ManagedProcess: ...
    @property
    def address(self) -> str: ...
    def fetch(self) -> object: ...
    def start(self) -> None: ...
    def is_ready(self) -> bool: ...


@dataclass(frozen=True)
class ComponentStatus:
    name: str
    running: bool
    ready: bool
    pid: int | None
    address: str
    log_file: str
    started_in_s: float | None = None


class LocalStack:
    """Kafka and the registry start in parallel (the registry's database is a local file, not
    a Kafka topic, so it does not wait for the broker); Prometheus last, and only
    ``with_prometheus`` (it needs an OS package the hub does not)."""

    def __init__(self, settings: Settings, *, with_prometheus: bool = False) -> None:
        self.settings = settings
        self.prometheus = PrometheusServer(settings)
        self.brokers = [KafkaNode(settings, n) for n in range(1, settings.kafka_brokers + 1)]
        self.kafka = self.brokers[0]
        self.registry = ApicurioRegistry(settings)
        self.components: list[Component] = [*self.brokers, self.registry]
        if with_prometheus:
            self.components.append(self.prometheus)

    def fetch(self) -> None:
        for component in self.components:
            component.fetch()

    def up(self, on_progress: Callable[[str], None] = lambda _: None) -> list[ComponentStatus]:
        """Start what is not running, in parallel, and wait until everything is ready.

        Both start on their existing data. The one exception is a broker log without a
        registry database (a stack home from before the registry kept one, or a deleted
        database): the records would carry schema ids the new registry does not know, or
        knows as other schemas, so a cold start (neither running) then removes that log.
        """
        self.fetch()
        for node in self.brokers:
            if node.process.pid() is not None and not node.config_current():
                # A broker started with other listeners (an older stack, other settings) would
                # never answer the INTERNAL listener this version manages it through.
                on_progress(f"{node.name}: its configuration changed, restarting it")
                node.process.stop()
        down = all(node.process.pid() is None for node in self.brokers)
        cold = down and self.registry.process.pid() is None
        if cold and not self.registry.has_database() and any([n.reset() for n in self.brokers]):
            on_progress("kafka: the registry has no database, so an empty broker (log removed)")
        started_at = time.monotonic()
        started: list[Component] = []
        for component in self.components:
            if component.process.pid() is None:
                on_progress(f"starting {component.process.name}")
                component.start()
                started.append(component)
        timings: dict[str, float] = {}
        for component in self.components:
            component.process.wait_ready(component.is_ready, self.settings.stack_start_timeout_s)
            if component in started:
                timings[component.process.name] = time.monotonic() - started_at
                on_progress(f"{component.process.name} ready at {component.address}")
        # Users and ACLs on every up (idempotent, about a second): a table changed since the
        # broker started applies without a restart.
        self.kafka.provision(on_progress)
        return [self._status(c, timings.get(c.process.name)) for c in self.components]

    def down(self) -> list[str]:
        """Stop every component, Prometheus too even if not asked for (``make stop`` stops
        everything), and every Kafka node of the stack home, however many the settings say;
        returns the names of those that were running."""
        every = [c.process for c in self.components]
        if self.prometheus not in self.components:
            every.append(self.prometheus.process)
        every += [
            ManagedProcess(folder.name, folder)
            for folder in sorted(self.settings.stack_home.glob("kafka*"))
            if folder.is_dir() and folder.name not in {p.name for p in every}
            and _is_node_name(folder.name)
        ]  # fmt: skip
        return [p.name for p in reversed(every) if p.stop()]

    def status(self) -> list[ComponentStatus]:
        return [self._status(c) for c in self.components]

    def restart(self, name: str, *, down_s: float = 0.0) -> None:
        """Stop one component (``kafka`` or ``registry``), keep it down ``down_s``, start it again
        on its existing data, and wait until it is ready: a fault the hub must ride out."""
        component = next(c for c in self.components if c.process.name == name)
        component.process.stop()
        time.sleep(down_s)
        component.start()
        component.process.wait_ready(component.is_ready, self.settings.stack_start_timeout_s)

    def kill(self, name: str) -> int:
        """SIGKILL one component (a node: ``kafka-2``) without a chance to shut down cleanly;
        its pid. ``restart`` or ``up`` starts it again on its data."""
        component = next(c for c in self.components if c.process.name == name)
        return component.process.kill()

    @staticmethod
    def _status(component: Component, started_in_s: float | None = None) -> ComponentStatus:
        pid = component.process.pid()
        return ComponentStatus(
            name=component.process.name,
            running=pid is not None,
            ready=pid is not None and component.is_ready(),
            pid=pid,
            address=component.address,
            log_file=str(component.process.log_file),
            started_in_s=started_in_s,
        )
