"""The KPI tests' rig: the three folds on real Avro serdes under a prefix of the module's own."""

from __future__ import annotations

import uuid

import pytest

from hub.serde import RegistryClient
from tests.kpi._support import Rig


@pytest.fixture(scope="module")
def rig(registry: RegistryClient) -> Rig:
    return Rig(registry, f"test.{uuid.uuid4().hex[:12]}.")
