"""Fixtures of the routing tests."""

from __future__ import annotations

import pytest

from hub.serde import RegistryClient
from hub.settings import Settings
from tests.routing._support import Rig


@pytest.fixture
def rig(settings: Settings, registry: RegistryClient) -> Rig:
    """The routing fold on the in-memory runner, with the real Avro serdes and registry."""
    return Rig(settings, registry)
