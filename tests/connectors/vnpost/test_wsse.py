"""The UsernameToken verifier on its own, with a set clock: digest, window, nonces, users."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from lxml import etree

from connectors.vnpost import SoapFault, UsernameTokenVerifier, password_digest, security_header
from connectors.vnpost._soap import SOAP_ENV, WSSE, WSU
from connectors.vnpost._wsse import PASSWORD_TEXT

NOW = datetime(2026, 3, 2, 2, 15, tzinfo=UTC)


def verifier(**kwargs: object) -> UsernameTokenVerifier:
    users = {"vnpost": ("old-secret", "new-secret")}
    return UsernameTokenVerifier(users, window_s=300, skew_s=30, clock=lambda: NOW, **kwargs)  # type: ignore[arg-type]


def header(*blocks: etree._Element) -> etree._Element:
    node = etree.Element(f"{{{SOAP_ENV}}}Header")
    node.extend(blocks)
    return node


def signed(password: str = "new-secret", user: str = "vnpost", **kwargs: object) -> etree._Element:  # noqa: S107
    created = kwargs.pop("created", NOW)
    return header(security_header(user, password, created=created, **kwargs))  # type: ignore[arg-type]


def refusal(check: UsernameTokenVerifier, node: etree._Element | None) -> SoapFault:
    with pytest.raises(SoapFault) as caught:
        check.verify(node)
    return caught.value


def test_the_profiles_digest() -> None:
    # Base64(SHA-1(nonce + created + password)), computed independently.
    import hashlib

    nonce, created = b"\x01" * 16, "2026-03-02T02:15:00.000Z"
    expected = base64.b64encode(hashlib.sha1(nonce + created.encode() + b"pw").digest()).decode()  # noqa: S324
    assert password_digest(nonce, created, "pw") == expected


def test_a_valid_token_names_its_user_and_any_current_password_works() -> None:
    check = verifier()
    assert check.verify(signed("new-secret")) == "vnpost"
    assert check.verify(signed("old-secret")) == "vnpost"
    assert check.verify(signed(created=NOW - timedelta(seconds=299))) == "vnpost"
    assert check.verify(signed(created=NOW + timedelta(seconds=29))) == "vnpost"


def test_a_forged_digest_and_an_unknown_user_get_the_same_answer() -> None:
    check = verifier()
    forged = refusal(check, signed("guessed"))
    stranger = refusal(check, signed("new-secret", user="mallory"))
    for fault in (forged, stranger):
        assert fault.code == "wsse:FailedAuthentication"
        assert fault.message == "unknown user or wrong password digest"
        assert fault.outcome == "unauthenticated"


def test_created_outside_the_window_is_refused() -> None:
    check = verifier()
    old = refusal(check, signed(created=NOW - timedelta(seconds=301)))
    assert (old.code, old.outcome) == ("wsse:MessageExpired", "expired")
    assert "older than the replay window of 300 s" in old.message
    future = refusal(check, signed(created=NOW + timedelta(seconds=31)))
    assert future.code == "wsse:InvalidSecurityToken"
    assert "more than 30 s in the future" in future.message


def test_a_nonce_is_accepted_once_within_the_window() -> None:
    check = verifier()
    token = signed(nonce=b"n" * 16)
    assert check.verify(token) == "vnpost"
    replay = refusal(check, token)
    assert (replay.code, replay.outcome) == ("wsse:FailedAuthentication", "replayed")
    assert "already used" in replay.message
    # A forged token does not burn a nonce someone else may use.
    refusal(check, signed("guessed", nonce=b"m" * 16))
    assert check.verify(signed(nonce=b"m" * 16)) == "vnpost"


def test_nonces_are_forgotten_after_the_window() -> None:
    moments = [NOW]
    users = {"vnpost": ("pw",)}
    check = UsernameTokenVerifier(users, window_s=300, skew_s=30, clock=lambda: moments[0])
    check.verify(header(security_header("vnpost", "pw", nonce=b"x" * 16, created=NOW)))
    assert len(check.nonces) == 1
    moments[0] = NOW + timedelta(seconds=331)
    check.verify(header(security_header("vnpost", "pw", created=moments[0])))
    assert len(check.nonces) == 1  # the first one expired and was dropped


def test_a_full_nonce_memory_refuses_rather_than_forgets() -> None:
    check = verifier(nonce_capacity=2)
    check.verify(signed())
    check.verify(signed())
    full = refusal(check, signed())
    assert full.code == "Server"
    assert full.outcome == "replay_cache_full"


def test_missing_or_unsupported_tokens() -> None:
    check = verifier()
    assert refusal(check, None).code == "wsse:InvalidSecurity"
    assert refusal(check, header()).code == "wsse:InvalidSecurity"
    token = signed()
    password = token.find(f".//{{{WSSE}}}Password")
    assert password is not None
    password.set("Type", PASSWORD_TEXT)
    password.text = "new-secret"
    text_fault = refusal(check, token)
    assert text_fault.code == "wsse:UnsupportedSecurityToken"
    assert "PasswordText is not accepted" in text_fault.message
    for missing in (f"{{{WSSE}}}Nonce", f"{{{WSU}}}Created"):
        token = signed()
        element = token.find(f".//{missing}")
        assert element is not None
        element.getparent().remove(element)  # type: ignore[union-attr]
        assert refusal(check, token).code == "wsse:InvalidSecurityToken"


def test_unreadable_nonce_or_created() -> None:
    check = verifier()
    token = signed()
    token.find(f".//{{{WSSE}}}Nonce").text = "not base64!"  # type: ignore[union-attr]
    assert "not Base64" in refusal(check, token).message
    token = signed()
    token.find(f".//{{{WSU}}}Created").text = "yesterday"  # type: ignore[union-attr]
    assert "not an xs:dateTime" in refusal(check, token).message
    token = signed()
    token.find(f".//{{{WSU}}}Created").text = "2026-03-02T02:15:00"  # type: ignore[union-attr]
    assert "UTC" in refusal(check, token).message


def test_a_verifier_needs_users() -> None:
    with pytest.raises(ValueError, match="at least one"):
        UsernameTokenVerifier({})
