"""Production mode: the portal connector refuses to start with a missing, short or published
API key (anyone could write dossier events as the provincial portal)."""

from __future__ import annotations

import pytest

from connectors.portal import DEV_API_KEYS, PortalConfig
from hub.secrets import SecretError
from tests.hub.test_secrets import DVCHUB, production_env, refused

GOOD = "PROVINCIAL_PORTAL:a-real-portal-key-0123456789"


@pytest.mark.parametrize(
    "keys",
    [None, DEV_API_KEYS, f"{GOOD},ONE_STOP_DESK:dev-portal-key", "PROVINCIAL_PORTAL:Zq7-tiny-key"],
    ids=["unset", "dev-value", "dev-key-among-real-ones", "short"],
)
def test_serve_refuses_to_start(keys: str | None) -> None:
    env = production_env() if keys is None else production_env(DVC_PORTAL_API_KEYS=keys)
    refused([str(DVCHUB), "portal", "serve", "--port", "1"], env, "DVC_PORTAL_API_KEYS")


def test_a_reversed_pair_does_not_print_the_key() -> None:
    with pytest.raises(SecretError) as raised:
        PortalConfig(api_keys="tinykey:SIGNING").require_secrets()
    assert "tinykey" not in str(raised.value)
    PortalConfig(api_keys=GOOD).require_secrets()
