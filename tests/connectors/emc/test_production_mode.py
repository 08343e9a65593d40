"""Production mode: EMC's outbox refuses to start with a missing, short or published token."""

from __future__ import annotations

import pytest

from connectors.emc import DEV_TOKEN, EmcConfig
from tests.hub.test_secrets import DVCHUB, production_env, refused


@pytest.mark.parametrize("token", [None, "", DEV_TOKEN], ids=["unset", "empty", "dev-value"])
def test_outbox_refuses_to_start(token: str | None) -> None:
    env = production_env() if token is None else production_env(DVC_EMC_TOKEN=token)
    refused([str(DVCHUB), "outbox", "worker", "--partner", "emc"], env, "DVC_EMC_TOKEN")


def test_a_real_token_passes_the_check() -> None:
    EmcConfig(token="a-real-emc-token-0123456789").require_secrets()
