"""A test PKI with its RFC 3161 TSA on loopback (``signing.testing``), and the hub's key in it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from connectors.evidence import Chain, Stamp, request_token
from signing import SigningConfig
from signing.testing import TestPKI, running_test_pki


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestPKI]:
    with running_test_pki(tmp_path_factory.mktemp("evidence-pki")) as running:
        yield running


@pytest.fixture(scope="session")
def hub_key(pki: TestPKI) -> SigningConfig:
    """The key archives are signed with (the test PKI's agency certificate)."""
    return SigningConfig(key_source=pki.pkcs12_key_source(), trust=pki.trust_config())


def stamp_head(chain: Chain, pki: TestPKI) -> Stamp:
    """A real token from the test TSA over ``chain``'s head, added to it as the stamper does."""
    covers, head = chain.length - 1, chain.head
    stamp = Stamp(chain.partner, covers, head, request_token(pki.tsa_url, head, 10.0),
                  datetime.now(UTC))  # fmt: skip
    assert chain.add(stamp) is not None
    return stamp
