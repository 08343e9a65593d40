"""Key source configuration and failures (wrong password/PIN, missing token)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from signing import (
    KeySourceConfig,
    KeySourceError,
    SignatureLevel,
    SigningConfig,
    sign_document,
)
from signing.testing import SoftHSMToken, TestPKI


def test_config_requires_fields_for_its_kind() -> None:
    with pytest.raises(ValueError, match="pkcs12_path"):
        KeySourceConfig(kind="pkcs12")
    with pytest.raises(ValueError, match="token_label"):
        KeySourceConfig(kind="pkcs11", pkcs11_library=Path("/x.so"), user_pin="1", key_label="k")


def test_secrets_are_not_in_repr(pki: TestPKI, softhsm_token: SoftHSMToken) -> None:
    pkcs12 = pki.pkcs12_key_source()
    assert pkcs12.pkcs12_password is not None
    assert pkcs12.pkcs12_password.decode() not in repr(pkcs12)
    token = softhsm_token.key_source()
    assert token.user_pin is not None
    assert token.user_pin not in repr(token)
    assert softhsm_token.user_pin not in repr(softhsm_token)


def test_wrong_pkcs12_password(
    pki: TestPKI, pkcs12_config: SigningConfig, pdf_bytes: bytes
) -> None:
    config = replace(
        pkcs12_config, key_source=replace(pki.pkcs12_key_source(), pkcs12_password=b"wrong")
    )
    with pytest.raises(KeySourceError, match="wrong password"):
        sign_document(
            pdf_bytes, media_type="application/pdf", level=SignatureLevel.PADES_B_B, config=config
        )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"user_pin": "0000"}, "PinIncorrect"),
        ({"token_label": "no-such-token"}, "No token"),
        ({"key_label": "no-such-key"}, "no-such-key"),
    ],
)
def test_token_errors_are_key_source_errors(
    change: dict[str, Any],
    message: str,
    softhsm_token: SoftHSMToken,
    pkcs12_config: SigningConfig,
    pdf_bytes: bytes,
) -> None:
    config = replace(pkcs12_config, key_source=replace(softhsm_token.key_source(), **change))
    with pytest.raises(KeySourceError, match=message):
        sign_document(
            pdf_bytes, media_type="application/pdf", level=SignatureLevel.PADES_B_B, config=config
        )


def test_key_stays_in_token(softhsm_token: SoftHSMToken) -> None:
    import pkcs11
    from pkcs11 import Attribute, ObjectClass

    token = pkcs11.lib(str(softhsm_token.library)).get_token(token_label=softhsm_token.token_label)
    with token.open(user_pin=softhsm_token.user_pin) as session:
        (key,) = session.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY})
        assert key[Attribute.SENSITIVE] is True
        assert key[Attribute.EXTRACTABLE] is False
    assert not list(softhsm_token.config_path.parent.glob("*.pem"))
