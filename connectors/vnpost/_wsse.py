"""WS-Security UsernameToken (OASIS UsernameToken Profile 1.0) with PasswordDigest.

``PasswordDigest = Base64(SHA-1(nonce + created + password))`` where nonce is the decoded
``wsse:Nonce`` and created the exact text of ``wsu:Created``. The verifier refuses, in order:

    no wsse:Security / UsernameToken         wsse:InvalidSecurity
    a PasswordText (or other) password       wsse:UnsupportedSecurityToken
    no Nonce or Created, or unreadable        wsse:InvalidSecurityToken
    Created older than the replay window      wsse:MessageExpired
    Created further ahead than the skew       wsse:InvalidSecurityToken
    unknown user or wrong digest             wsse:FailedAuthentication (one message for both)
    a nonce seen within the window            wsse:FailedAuthentication

Digests are compared with ``hmac.compare_digest`` against every password of the user (an
unknown user is checked against a dummy), so timing tells neither which passwords exist nor
how much of a digest matched. A nonce is remembered only once its digest verified, for the
replay window plus the skew; the memory is bounded and refuses (Server, retry) rather than
forget a live nonce. Nonces live in this process: replicas behind a load balancer each keep
their own, so a replay to another replica within the window is caught only by the event-level
dedupe downstream (the callback id).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta

from lxml import etree

from connectors.vnpost._soap import SOAP_ENV, WSSE, WSU, SoapFault

_PROFILE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0"
PASSWORD_DIGEST = f"{_PROFILE}#PasswordDigest"
PASSWORD_TEXT = f"{_PROFILE}#PasswordText"
BASE64_BINARY = (
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary"
)
_DUMMY_PASSWORD = "\x00unknown-user\x00"  # noqa: S105 (never matches: a NUL)

Clock = Callable[[], datetime]


def password_digest(nonce: bytes, created: str, password: str) -> str:
    """Base64(SHA-1(nonce + created + password)), as the profile defines it."""
    # SHA-1 is what the profile mandates; the replay window and nonces bound its use.
    raw = hashlib.sha1(nonce + created.encode() + password.encode())  # noqa: S324
    return base64.b64encode(raw.digest()).decode()


def wire_created(moment: datetime) -> str:
    """``2026-03-02T02:15:00.123Z``: UTC, milliseconds, Zulu (as most stacks send it)."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def security_header(
    username: str,
    password: str,
    *,
    nonce: bytes | None = None,
    created: datetime | None = None,
) -> etree._Element:
    """A ``wsse:Security`` header block with a digest UsernameToken (fresh nonce, now)."""
    nonce = os.urandom(16) if nonce is None else nonce
    created_text = wire_created(created or datetime.now(UTC))
    security = etree.Element(
        f"{{{WSSE}}}Security", nsmap={"wsse": WSSE, "wsu": WSU, "soap": SOAP_ENV}
    )
    security.set(f"{{{SOAP_ENV}}}mustUnderstand", "1")
    token = etree.SubElement(security, f"{{{WSSE}}}UsernameToken")
    etree.SubElement(token, f"{{{WSSE}}}Username").text = username
    secret = etree.SubElement(token, f"{{{WSSE}}}Password", Type=PASSWORD_DIGEST)
    secret.text = password_digest(nonce, created_text, password)
    encoded = etree.SubElement(token, f"{{{WSSE}}}Nonce", EncodingType=BASE64_BINARY)
    encoded.text = base64.b64encode(nonce).decode()
    etree.SubElement(token, f"{{{WSU}}}Created").text = created_text
    return security


def _security_fault(code: str, message: str, outcome: str) -> SoapFault:
    return SoapFault(f"wsse:{code}", message, outcome=outcome, error_code="SECURITY")


class NonceCache:
    """(user, nonce) pairs seen recently, each until its expiry; thread-safe, bounded."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._expiry: OrderedDict[tuple[str, bytes], datetime] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._expiry)

    def add(self, user: str, nonce: bytes, *, now: datetime, keep_until: datetime) -> bool:
        """Remember the pair; False if it was already there (a replay)."""
        key = (user, nonce)
        with self._lock:
            # Entries are in insertion order and all live the same span: the oldest expire first.
            while self._expiry and next(iter(self._expiry.values())) <= now:
                self._expiry.popitem(last=False)
            if key in self._expiry:
                return False
            if len(self._expiry) >= self.capacity:
                raise SoapFault(
                    "Server", "too many recent requests to check for replays; retry shortly",
                    outcome="replay_cache_full",
                )  # fmt: skip
            self._expiry[key] = keep_until
            return True


class UsernameTokenVerifier:
    """Checks the UsernameToken of a request's SOAP Header; returns the authenticated user."""

    def __init__(
        self,
        credentials: Mapping[str, Sequence[str]],
        *,
        window_s: float = 300.0,
        skew_s: float = 30.0,
        nonce_capacity: int = 200_000,
        clock: Clock = lambda: datetime.now(UTC),
    ) -> None:
        if not credentials:
            raise ValueError("at least one user:password is needed")
        self._credentials = {user: tuple(pw) for user, pw in credentials.items()}
        self.window = timedelta(seconds=window_s)
        self.skew = timedelta(seconds=skew_s)
        self.nonces = NonceCache(nonce_capacity)
        self._clock = clock

    def verify(self, header: etree._Element | None) -> str:
        token = (
            None if header is None else header.find(f"{{{WSSE}}}Security/{{{WSSE}}}UsernameToken")
        )
        if token is None:
            raise _security_fault(
                "InvalidSecurity", "no wsse:Security header with a UsernameToken", "unauthenticated"
            )
        username = (token.findtext(f"{{{WSSE}}}Username") or "").strip()
        password = token.find(f"{{{WSSE}}}Password")
        if password is None or password.get("Type") != PASSWORD_DIGEST:
            raise _security_fault(
                "UnsupportedSecurityToken",
                "the UsernameToken must carry a PasswordDigest (PasswordText is not accepted)",
                "unauthenticated",
            )
        nonce_text = token.findtext(f"{{{WSSE}}}Nonce")
        created_text = token.findtext(f"{{{WSU}}}Created")
        if not username or not nonce_text or not created_text:
            raise _security_fault(
                "InvalidSecurityToken",
                "the UsernameToken needs Username, Nonce and wsu:Created",
                "unauthenticated",
            )
        try:
            nonce = base64.b64decode(nonce_text.strip(), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise _security_fault(
                "InvalidSecurityToken", "the Nonce is not Base64", "unauthenticated"
            ) from exc
        created = _parse_created(created_text.strip())
        now = self._clock()
        if created < now - self.window:
            raise _security_fault(
                "MessageExpired",
                f"wsu:Created is older than the replay window of {self.window.total_seconds():g} s",
                "expired",
            )
        if created > now + self.skew:
            raise _security_fault(
                "InvalidSecurityToken",
                f"wsu:Created lies more than {self.skew.total_seconds():g} s in the future",
                "expired",
            )
        if not len(nonce) or not self._digest_matches(username, nonce, created_text, password):
            raise _security_fault(
                "FailedAuthentication", "unknown user or wrong password digest", "unauthenticated"
            )
        keep_until = now + self.window + self.skew
        if not self.nonces.add(username, nonce, now=now, keep_until=keep_until):
            raise _security_fault(
                "FailedAuthentication", "the nonce was already used within the replay window",
                "replayed",
            )  # fmt: skip
        return username

    def _digest_matches(
        self, username: str, nonce: bytes, created: str, password: etree._Element
    ) -> bool:
        sent = (password.text or "").strip().encode()
        candidates = self._credentials.get(username)
        matched = False
        for secret in candidates or (_DUMMY_PASSWORD,):
            expected = password_digest(nonce, created, secret).encode()
            matched |= hmac.compare_digest(expected, sent)  # no short cut: constant time
        return matched and candidates is not None


def _parse_created(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise _security_fault(
            "InvalidSecurityToken", "wsu:Created is not an xs:dateTime", "unauthenticated"
        ) from exc
    if moment.tzinfo is None:
        raise _security_fault(
            "InvalidSecurityToken", "wsu:Created must be in UTC (end with Z)", "unauthenticated"
        )
    return moment
