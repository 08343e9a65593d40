"""The CLI group, configuration from the environment and the API-key rules (no Kafka)."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from connectors.portal import (
    DEV_API_KEYS,
    ApiKeyAuthenticator,
    AuthError,
    Endpoint,
    PortalConfig,
)
from dvchub.cli import app as dvchub_app


def _cli() -> typer.Typer:
    return dvchub_app


def test_portal_group_offers_serve_and_a_stale_openapi_check() -> None:
    runner = CliRunner()
    help_text = runner.invoke(_cli(), ["portal", "--help"]).output
    assert "serve" in help_text
    assert "openapi" in help_text
    checked = runner.invoke(_cli(), ["portal", "openapi", "--check"])
    assert checked.exit_code == 0, checked.output


def test_config_reads_dvc_portal_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DVC_PORTAL_API_KEYS", "ONE_STOP_DESK:desk:key:with:colons")
    monkeypatch.setenv("DVC_PORTAL_MAX_BODY_BYTES", "2048")
    monkeypatch.setenv("DVC_PORTAL_PORT", "9099")
    config = PortalConfig()
    assert (config.max_body_bytes, config.port, config.uses_dev_keys) == (2048, 9099, False)
    assert "desk:key" not in repr(config)  # the keys are a secret
    auth = ApiKeyAuthenticator(config.api_keys.get_secret_value())
    assert auth.authenticate("desk:key:with:colons", Endpoint.EVENTS).source == "ONE_STOP_DESK"


def test_default_is_the_local_stack_dev_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DVC_PORTAL_API_KEYS", raising=False)
    config = PortalConfig()
    assert config.uses_dev_keys
    assert config.api_keys.get_secret_value() == DEV_API_KEYS
    assert (config.host, config.port, config.max_body_bytes) == ("127.0.0.1", 8088, 1 << 20)


@pytest.mark.parametrize(
    "spec",
    [
        "",
        " , ",
        "PORTAL:abcdefgh",
        "PROVINCIAL_PORTAL:short",
        "PROVINCIAL_PORTAL",
        "NATIONAL_PORTAL:",
        "PROVINCIAL_PORTAL:same-key-1,ONE_STOP_DESK:same-key-1",
    ],
)
def test_invalid_key_configuration_is_refused(spec: str) -> None:
    with pytest.raises(ValueError, match="API key"):
        ApiKeyAuthenticator(spec)


def test_keys_authenticate_to_their_system_and_its_rights() -> None:
    auth = ApiKeyAuthenticator(
        "PROVINCIAL_PORTAL:portal-key-1,PROVINCIAL_PORTAL:portal-key-2,HUB:hub-key-01"
    )
    assert auth.authenticate("portal-key-2", Endpoint.PROCEDURES).source == "PROVINCIAL_PORTAL"
    for presented, status in [(None, 401), ("", 401), ("portal-key-3", 401), ("portal-key", 401)]:
        with pytest.raises(AuthError) as refused:
            auth.authenticate(presented, Endpoint.EVENTS)
        assert refused.value.status == status
    with pytest.raises(AuthError) as forbidden:
        auth.authenticate("hub-key-01", Endpoint.EVENTS)
    assert forbidden.value.status == 403
