"""Processes starting together register a new subject at the same moment: all get one id."""

from __future__ import annotations

import threading
import uuid

import pytest

from hub.serde import RegistryClient, load_schema
from hub.settings import Settings


@pytest.mark.parametrize("round_", range(5))
def test_concurrent_first_registrations_of_a_subject_agree(
    stack_settings: Settings, round_: int
) -> None:
    # Several rounds: each race (first version, first compatibility rule) is won by timing.
    subject = f"test.{uuid.uuid4().hex}-value"
    schema = load_schema("PartnerOutcome")
    ids: list[int] = []
    errors: list[Exception] = []

    def register() -> None:
        with RegistryClient(stack_settings.schema_registry_url) as registry:
            try:
                ids.append(registry.register(subject, schema))
            except Exception as exc:  # collected: the assertion shows what went wrong
                errors.append(exc)

    threads = [threading.Thread(target=register) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(ids) == 8
    assert len(set(ids)) == 1
