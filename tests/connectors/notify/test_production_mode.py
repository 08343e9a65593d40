"""Production mode: the notification outbox refuses to start with a missing, short or published
gateway secret, each named by its variable."""

from __future__ import annotations

import pytest

from connectors.notify import NotifyConfig
from connectors.notify._config import DEV_SMS_API_KEY, DEV_ZNS_ACCESS_TOKEN
from hub.secrets import SecretError
from tests.hub.test_secrets import DVCHUB, production_env, refused

REAL_KEY = "a-real-sms-gateway-key-0123"
REAL_TOKEN = "a-real-zns-access-token-0123"


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({}, "DVC_NOTIFY_SMS_API_KEY"),
        ({"DVC_NOTIFY_SMS_API_KEY": DEV_SMS_API_KEY}, "DVC_NOTIFY_SMS_API_KEY"),
        ({"DVC_NOTIFY_SMS_API_KEY": REAL_KEY}, "DVC_NOTIFY_ZNS_ACCESS_TOKEN"),
        ({"DVC_NOTIFY_SMS_API_KEY": REAL_KEY, "DVC_NOTIFY_ZNS_ACCESS_TOKEN": DEV_ZNS_ACCESS_TOKEN},
         "DVC_NOTIFY_ZNS_ACCESS_TOKEN"),
    ],
    ids=["unset", "dev-key", "token-unset", "dev-token"],
)  # fmt: skip
def test_outbox_refuses_to_start(env: dict[str, str], variable: str) -> None:
    refused([str(DVCHUB), "outbox", "worker", "--partner", "notify"], production_env(**env),
            variable)  # fmt: skip


def test_real_secrets_pass_and_an_smtp_login_needs_its_password() -> None:
    config = NotifyConfig(sms_api_key=REAL_KEY, zns_access_token=REAL_TOKEN)
    config.require_secrets()
    with pytest.raises(SecretError, match="DVC_NOTIFY_SMTP_PASSWORD"):
        NotifyConfig(sms_api_key=REAL_KEY, zns_access_token=REAL_TOKEN,
                     smtp_username="dvchub").require_secrets()  # fmt: skip
