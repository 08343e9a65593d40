"""Production mode: the bank connector's processes refuse to start with an empty, short or
published provider secret (a callback signed with it would pass as "paid")."""

from __future__ import annotations

import sys

import pytest

from connectors.bank import DEV_SECRETS, BankConfig
from hub.secrets import SecretError
from tests.hub.test_secrets import DVCHUB, production_env, refused

PAYGOV = "a-real-paygov-secret-0123456789"
VNPAY = "AREALVNPAYSECRET0123456789ABCDEF"


@pytest.mark.parametrize(
    ("secrets", "variable"),
    [
        ({}, "DVC_BANK_PAYGOV_SECRET"),
        ({"DVC_BANK_PAYGOV_SECRET": "", "DVC_BANK_VNPAY_SECRET": VNPAY}, "DVC_BANK_PAYGOV_SECRET"),
        ({"DVC_BANK_PAYGOV_SECRET": PAYGOV, "DVC_BANK_VNPAY_SECRET": DEV_SECRETS["vnpay"]},
         "DVC_BANK_VNPAY_SECRET"),
    ],
    ids=["unset", "empty", "dev-value"],
)  # fmt: skip
def test_ipn_endpoint_refuses_to_start(secrets: dict[str, str], variable: str) -> None:
    stderr = refused([str(DVCHUB), "bank-ipn"], production_env(**secrets), variable)
    assert "refusing to start" in stderr


def test_outbox_and_module_entry_point_refuse_to_start() -> None:
    env = production_env(DVC_BANK_PAYGOV_SECRET=PAYGOV, DVC_BANK_VNPAY_SECRET="Zq7-tiny")
    refused([str(DVCHUB), "outbox", "worker", "--partner", "bank"], env, "DVC_BANK_VNPAY_SECRET")
    refused([sys.executable, "-m", "connectors.bank", "ipn"], env, "DVC_BANK_VNPAY_SECRET")


def test_an_empty_secret_never_reaches_a_checksum() -> None:
    # Defence in depth behind the start-up check: no provider settings with an empty HMAC key.
    config = BankConfig(paygov_secret="", vnpay_secret=VNPAY)
    with pytest.raises(SecretError, match="DVC_BANK_PAYGOV_SECRET"):
        config.provider("paygov")
    assert config.provider("vnpay").secret.get_secret_value() == VNPAY


def test_real_secrets_pass_the_check() -> None:
    BankConfig(paygov_secret=PAYGOV, vnpay_secret=VNPAY).require_secrets()
