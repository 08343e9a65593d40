"""Production mode: the national portal's outbox and intake refuse to start without an account
of their own (the development one is published)."""

from __future__ import annotations

import sys

from connectors.national import DEV_PASSWORD, NationalConfig
from tests.hub.test_secrets import DVCHUB, production_env, refused

GOOD = "a-real-national-password-0123"


def test_outbox_refuses_to_start() -> None:
    command = [str(DVCHUB), "outbox", "worker", "--partner", "national"]
    refused(command, production_env(DVC_NATIONAL_PASSWORD=GOOD), "DVC_NATIONAL_USERNAME")
    env = production_env(DVC_NATIONAL_USERNAME="province", DVC_NATIONAL_PASSWORD=DEV_PASSWORD)
    refused(command, env, "DVC_NATIONAL_PASSWORD")


def test_intake_refuses_to_start() -> None:
    env = production_env(DVC_NATIONAL_USERNAME="province", DVC_NATIONAL_PASSWORD="Zq7-tiny")
    refused([sys.executable, "-m", "connectors.national", "intake"], env, "DVC_NATIONAL_PASSWORD")


def test_a_real_account_passes_the_check() -> None:
    NationalConfig(username="province", password=GOOD).require_secrets()
