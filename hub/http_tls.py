"""TLS on the HTTP servers the hub runs for partners and the public, and mutual TLS for partner
callbacks: the settings, the start-up check and uvicorn's arguments, in this one place.

Every server that faces partners or the public (portal connector, VNPost callbacks, payment IPN,
query API, signature verification) calls ``server_tls`` before serving, then ``serve`` (or, in
a thread, ``uvicorn_options`` into its ``uvicorn.Config``). Settings::

    DVC_HTTP_TLS_CERT_FILE            the server's certificate, PEM (its chain may follow it)
    DVC_HTTP_TLS_KEY_FILE             its private key, PEM, possibly encrypted
    DVC_HTTP_TLS_KEY_PASSWORD         the key's password (a secret: or ..._KEY_PASSWORD_FILE)
    DVC_HTTP_TLS_CLIENT_CA_FILE       CA certificates (PEM) clients must present a certificate
                                      from: mutual TLS, the handshake fails without one
    DVC_HTTP_TLS_TERMINATED_UPSTREAM  1: a proxy in front of the server terminates TLS

A partner's callback endpoint has its own client-CA variable instead of the general one
(``DVC_VNPOST_CLIENT_CA_FILE``, ``DVC_BANK_CLIENT_CA_FILE``; the connector names it): each
partner has its own CA. Setting both is an error, as which one wins would be a guess.

Production is the default (``hub.secrets``): without a certificate and key a server refuses to
start, naming the variable, unless ``DVC_HTTP_TLS_TERMINATED_UPSTREAM=1`` says TLS ends in front
of it; ``DVC_DEV_SECRETS=1`` allows plain HTTP, with a warning. Certificate, key, password and
client CAs are loaded at start-up, so a missing, unreadable, expired or mismatched file is one
line naming its variable (``TlsError``, a ``SecretError``: every entry point already turns
those into exit 2), never a traceback from inside uvicorn. Whatever OpenSSL would allow, the
server speaks TLS 1.2 or later.
"""

from __future__ import annotations

import datetime
import logging
import os
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import (
    CertificatePublicKeyTypes,
    PrivateKeyTypes,
    PublicKeyTypes,
)
from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from hub.secrets import SecretError, dev_secrets_allowed, fill_from_files

if TYPE_CHECKING:  # uvicorn is imported where a server starts
    import uvicorn
    from starlette.types import ASGIApp

__all__ = [
    "CERT_VARIABLE",
    "CLIENT_CA_VARIABLE",
    "KEY_PASSWORD_VARIABLE",
    "KEY_VARIABLE",
    "MINIMUM_VERSION",
    "UPSTREAM_VARIABLE",
    "HttpTlsSettings",
    "ServerTls",
    "TlsError",
    "serve",
    "server_tls",
    "uvicorn_options",
]

log = logging.getLogger(__name__)

PREFIX = "DVC_HTTP_TLS_"
CERT_VARIABLE = PREFIX + "CERT_FILE"
KEY_VARIABLE = PREFIX + "KEY_FILE"
KEY_PASSWORD_VARIABLE = PREFIX + "KEY_PASSWORD"
CLIENT_CA_VARIABLE = PREFIX + "CLIENT_CA_FILE"
UPSTREAM_VARIABLE = PREFIX + "TERMINATED_UPSTREAM"
#: The oldest protocol version served: TLS 1.0 and 1.1 are deprecated (RFC 8996).
MINIMUM_VERSION = ssl.TLSVersion.TLSv1_2

_FIELD_VARIABLES = {
    "cert_file": CERT_VARIABLE,
    "key_file": KEY_VARIABLE,
    "key_password": KEY_PASSWORD_VARIABLE,
    "client_ca_file": CLIENT_CA_VARIABLE,
    "terminated_upstream": UPSTREAM_VARIABLE,
}
# Endpoints already warned about serving plain HTTP: one warning per process and endpoint.
_warned: set[str] = set()


class TlsError(SecretError):
    """A server cannot serve TLS as configured, or is not configured to in production. The
    message names the variable, never a secret (the key's password)."""


class HttpTlsSettings(BaseSettings):
    """``DVC_HTTP_TLS_*``: how this process's HTTP server speaks TLS."""

    model_config = SettingsConfigDict(env_prefix=PREFIX, frozen=True, extra="ignore")

    cert_file: Path | None = Field(None, description="Server certificate (PEM, chain after it).")
    key_file: Path | None = Field(None, description="Its private key (PEM).")
    key_password: SecretStr | None = Field(None, description="The key's password, if encrypted.")
    client_ca_file: Path | None = Field(
        None, description="CAs whose client certificates are required (mutual TLS)."
    )
    terminated_upstream: bool = Field(
        False, description="A proxy in front terminates TLS: serve plain HTTP in production."
    )

    @field_validator("cert_file", "key_file", "client_ca_file", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        # docker-compose's ${VAR:-} passes an empty string for "not set".
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="before")
    @classmethod
    def _password_file(cls, data: object) -> object:
        return fill_from_files(data, {"key_password": KEY_PASSWORD_VARIABLE})


@dataclass(frozen=True)
class ServerTls:
    """A server's TLS material, checked by ``server_tls`` (use that, not the constructor)."""

    cert_file: Path
    key_file: Path
    key_password: SecretStr | None = field(default=None, repr=False)
    client_ca_file: Path | None = None
    #: The variable ``client_ca_file`` came from (messages name it).
    client_ca_variable: str = CLIENT_CA_VARIABLE

    @property
    def mutual(self) -> bool:
        """Whether clients must present a certificate from ``client_ca_file``."""
        return self.client_ca_file is not None

    def check(self) -> None:
        """Load everything as the server will; ``TlsError`` naming the variable otherwise."""
        cert = _certificates(self.cert_file, CERT_VARIABLE)[0]
        now = datetime.datetime.now(datetime.UTC)
        if cert.not_valid_after_utc <= now:
            raise TlsError(
                CERT_VARIABLE,
                f"holds a certificate that expired on {cert.not_valid_after_utc:%Y-%m-%d}",
            )
        if cert.not_valid_before_utc > now:
            raise TlsError(
                CERT_VARIABLE,
                f"holds a certificate not valid before {cert.not_valid_before_utc:%Y-%m-%d %H:%M}Z",
            )
        key = _private_key(self.key_file, self.key_password)
        if _spki(key.public_key()) != _spki(cert.public_key()):
            raise TlsError(
                KEY_VARIABLE, f"does not hold the key of the certificate in {CERT_VARIABLE}"
            )
        if self.client_ca_file is not None:
            _certificates(self.client_ca_file, self.client_ca_variable)
        try:
            _server_context(self)
        except ssl.SSLError as exc:
            raise TlsError(CERT_VARIABLE, f"cannot be served ({exc.reason or exc})") from exc


def uvicorn_options(tls: ServerTls | None) -> dict[str, Any]:
    """The ``uvicorn.run`` / ``uvicorn.Config`` keyword arguments serving ``tls`` (none for
    plain HTTP): certificate, key and password; with client CAs, CERT_REQUIRED; TLS >= 1.2."""
    if tls is None:
        return {}
    password = None if tls.key_password is None else tls.key_password.get_secret_value()
    return {
        "ssl_certfile": str(tls.cert_file),
        "ssl_keyfile": str(tls.key_file),
        "ssl_keyfile_password": password,
        "ssl_ca_certs": None if tls.client_ca_file is None else str(tls.client_ca_file),
        "ssl_cert_reqs": ssl.CERT_REQUIRED if tls.mutual else ssl.CERT_NONE,
        "ssl_context_factory": _hardened,
    }


def server_tls(
    endpoint: str,
    *,
    client_ca_variable: str | None = None,
    settings: HttpTlsSettings | None = None,
    env: Mapping[str, str] | None = None,
) -> ServerTls | None:
    """The TLS ``endpoint`` (a name for messages: "the query API") serves, checked; ``None``
    for plain HTTP (TLS terminated upstream, or development). ``client_ca_variable``: the
    partner's own client-CA variable, used instead of ``DVC_HTTP_TLS_CLIENT_CA_FILE``.
    ``TlsError`` when the server must not start."""
    env = os.environ if env is None else env
    if settings is None:
        try:
            settings = HttpTlsSettings()
        except ValidationError as exc:  # the variable and pydantic's reason, not the input
            error = exc.errors()[0]
            where = str(error["loc"][0]) if error["loc"] else ""
            variable = _FIELD_VARIABLES.get(where, PREFIX + "*")
            raise TlsError(variable, f"is not valid: {error['msg']}") from exc
    ca_variable, ca_file = _client_ca(settings, client_ca_variable, env)
    if settings.cert_file is None and settings.key_file is None:
        if ca_file is not None:
            raise TlsError(
                ca_variable,
                f"needs {CERT_VARIABLE} and {KEY_VARIABLE}: client certificates are checked in "
                "this server's own TLS handshake",
            )
        if settings.terminated_upstream:
            log.info(
                "%s serves plain HTTP: TLS is terminated in front of it (%s)",
                endpoint,
                UPSTREAM_VARIABLE,
            )
            return None
        if dev_secrets_allowed(env):
            _warn_plain_once(endpoint)
            return None
        raise TlsError(
            CERT_VARIABLE,
            f"is not set: {endpoint} serves HTTPS in production; set it and {KEY_VARIABLE}, or "
            f"{UPSTREAM_VARIABLE}=1 when a proxy in front of it terminates TLS",
        )
    if settings.cert_file is None:
        raise TlsError(CERT_VARIABLE, f"is not set but {KEY_VARIABLE} is; set both")
    if settings.key_file is None:
        raise TlsError(KEY_VARIABLE, f"is not set but {CERT_VARIABLE} is; set both")
    tls = ServerTls(
        settings.cert_file, settings.key_file, settings.key_password, ca_file, ca_variable
    )
    tls.check()
    return tls


def serve(app: ASGIApp, *, host: str, port: int, tls: ServerTls | None, **options: Any) -> None:
    """Run ``app`` with uvicorn until interrupted (blocks), over ``tls`` when given; ``options``
    go to ``uvicorn.run`` (``log_config`` ...)."""
    import uvicorn

    if tls is not None and tls.mutual:
        log.info(
            "mutual TLS: clients must present a certificate from %s (%s)",
            tls.client_ca_file,
            tls.client_ca_variable,
        )
    uvicorn.run(app, host=host, port=port, **uvicorn_options(tls), **options)


# -- internals --------------------------------------------------------------------------------


def _client_ca(
    settings: HttpTlsSettings, partner_variable: str | None, env: Mapping[str, str]
) -> tuple[str, Path | None]:
    partner = (env.get(partner_variable) or "").strip() if partner_variable else ""
    if partner_variable and partner:
        if settings.client_ca_file is not None:
            raise TlsError(partner_variable, f"and {CLIENT_CA_VARIABLE} are both set; set only one")
        return partner_variable, Path(partner)
    return CLIENT_CA_VARIABLE, settings.client_ca_file


def _warn_plain_once(endpoint: str) -> None:
    if endpoint not in _warned:
        _warned.add(endpoint)
        log.warning(
            "%s serves plain HTTP: no %s (allowed because DVC_DEV_SECRETS is set); never on a "
            "shared or production machine",
            endpoint,
            CERT_VARIABLE,
        )


def _read(path: Path, variable: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        # The path is configuration, not a secret; the OS reason says what to fix.
        raise TlsError(
            variable, f"cannot be read from {str(path)!r} ({exc.strerror or exc})"
        ) from exc


def _certificates(path: Path, variable: str) -> list[x509.Certificate]:
    try:
        return x509.load_pem_x509_certificates(_read(path, variable))
    except ValueError as exc:
        raise TlsError(variable, f"holds no PEM certificate ({str(path)!r})") from exc


def _private_key(path: Path, password: SecretStr | None) -> PrivateKeyTypes:
    data = _read(path, KEY_VARIABLE)
    secret = None if password is None else password.get_secret_value().encode()
    try:
        return serialization.load_pem_private_key(data, secret)
    except TypeError as exc:  # encrypted without a password, or a password for a plain key
        if secret is None:
            raise TlsError(
                KEY_PASSWORD_VARIABLE, f"is not set and the key in {KEY_VARIABLE} is encrypted"
            ) from exc
        return _private_key(path, None)  # a password the key does not need: harmless to OpenSSL too
    except (ValueError, UnsupportedAlgorithm) as exc:
        problem = "is not a PEM private key"
        if secret is not None:
            problem += f", or {KEY_PASSWORD_VARIABLE} does not decrypt it"
        raise TlsError(KEY_VARIABLE, problem) from exc


def _spki(public_key: PublicKeyTypes | CertificatePublicKeyTypes) -> bytes:
    return bytes(
        public_key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )


def _hardened(
    config: uvicorn.Config | None, default: Callable[[], ssl.SSLContext]
) -> ssl.SSLContext:
    """uvicorn's ``ssl_context_factory``: its context from the options, then our floor."""
    context = default()
    current = context.minimum_version
    if current is ssl.TLSVersion.MINIMUM_SUPPORTED or current < MINIMUM_VERSION:
        context.minimum_version = MINIMUM_VERSION
    # No client-initiated renegotiation (TLS 1.2): a cheap way to make a server work hard.
    context.options |= ssl.OP_NO_RENEGOTIATION
    return context


def _server_context(tls: ServerTls) -> ssl.SSLContext:
    """The context uvicorn builds from ``uvicorn_options(tls)`` (its own function, our factory)."""
    from uvicorn.config import SSL_PROTOCOL_VERSION, create_ssl_context

    options = uvicorn_options(tls)
    return _hardened(
        None,
        lambda: create_ssl_context(
            certfile=options["ssl_certfile"],
            keyfile=options["ssl_keyfile"],
            password=options["ssl_keyfile_password"],
            ssl_version=SSL_PROTOCOL_VERSION,
            cert_reqs=options["ssl_cert_reqs"],
            ca_certs=options["ssl_ca_certs"],
            ciphers=None,
        ),
    )
