"""The signing tests' PKI with its RFC 3161 TSA on loopback (``signing.testing``, the fixture
``pki`` shared from ``tests.signing.conftest``), and the hub's key in it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from connectors.evidence import Chain, Stamp, request_token
from signing import SigningConfig
from signing.testing import TestPKI
from tests.signing.conftest import pki


@pytest.fixture(scope="session")
def hub_key(pki: TestPKI) -> SigningConfig:
    """The key archives are signed with (the test PKI's agency certificate)."""
    return SigningConfig(key_source=pki.pkcs12_key_source(), trust=pki.trust_config())


__all__ = ["hub_key", "pki", "stamp_head"]


def stamp_head(chain: Chain, pki: TestPKI) -> Stamp:
    """A real token from the test TSA over ``chain``'s head, added to it as the stamper does."""
    covers, head = chain.length - 1, chain.head
    stamp = Stamp(chain.partner, covers, head, request_token(pki.tsa_url, head, 10.0),
                  datetime.now(UTC))  # fmt: skip
    assert chain.add(stamp) is not None
    return stamp
