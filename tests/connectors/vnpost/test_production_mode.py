"""Production mode: the VNPost callback endpoint and outbox refuse to start with a missing, short
or published password; each checks only its own side's secrets."""

from __future__ import annotations

import sys

import pytest

from connectors.vnpost import VnpostConfig
from connectors.vnpost._config import DEV_CALLBACK_USERS, DEV_PASSWORD
from hub.secrets import SecretError
from tests.hub.test_secrets import DVCHUB, production_env, refused

GOOD = "a-real-vnpost-password-0123456789"


@pytest.mark.parametrize(
    "users",
    [None, DEV_CALLBACK_USERS, f"vnpost:{GOOD},vnpost:Zq7-tiny", "no-colon-here-0123456789"],
    ids=["unset", "dev-value", "short-among-real-ones", "malformed"],
)
def test_callbacks_refuse_to_start(users: str | None) -> None:
    env = production_env(DVC_VNPOST_PASSWORD=GOOD)  # the outbox's: not enough here
    if users is not None:
        env["DVC_VNPOST_CALLBACK_USERS"] = users
    refused([str(DVCHUB), "vnpost-callbacks"], env, "DVC_VNPOST_CALLBACK_USERS")


def test_outbox_and_module_entry_point_refuse_to_start() -> None:
    env = production_env(DVC_VNPOST_PASSWORD=DEV_PASSWORD)
    refused([str(DVCHUB), "outbox", "worker", "--partner", "vnpost"], env, "DVC_VNPOST_PASSWORD")
    env = production_env(DVC_VNPOST_CALLBACK_USERS="")
    refused([sys.executable, "-m", "connectors.vnpost", "callbacks"], env,
            "DVC_VNPOST_CALLBACK_USERS")  # fmt: skip


def test_each_side_checks_its_own_secrets() -> None:
    outbound = VnpostConfig(password=GOOD, callback_users="")
    outbound.require_outbound_secrets()
    with pytest.raises(SecretError, match="DVC_VNPOST_CALLBACK_USERS"):
        outbound.require_callback_secrets()
    VnpostConfig(password="", callback_users=f"vnpost:{GOOD}").require_callback_secrets()
