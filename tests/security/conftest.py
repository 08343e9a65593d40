"""Fixtures of the attacker's tests: one topic prefix per module (each module serves one
endpoint for all its tests, as an attacker meets one running endpoint), every hub topic
created under it, and the watch over them."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from hub.kafka import delete_prefixed, ensure_topics
from hub.settings import Settings
from tests.security._attack import KafkaWatch


@pytest.fixture(scope="module")
def module_settings(stack_settings: Settings) -> Iterator[Settings]:
    prefix = f"test.{uuid.uuid4().hex[:12]}."
    mine = stack_settings.model_copy(update={"topic_prefix": prefix, "partitions": 3})
    ensure_topics(mine)
    yield mine
    delete_prefixed(mine)


@pytest.fixture(scope="module")
def watch(module_settings: Settings) -> KafkaWatch:
    return KafkaWatch(module_settings)
