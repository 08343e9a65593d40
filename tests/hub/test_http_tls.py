"""``hub.http_tls``: when a server may start, over what, and how a bad file is reported.

Every refusal is a ``TlsError`` naming the variable and never the key's password. The servers
themselves (real TLS handshakes, the real commands) are in ``test_http_tls_servers.py``.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from pydantic import SecretStr

from hub.http_tls import (
    CERT_VARIABLE,
    CLIENT_CA_VARIABLE,
    KEY_PASSWORD_VARIABLE,
    KEY_VARIABLE,
    MINIMUM_VERSION,
    UPSTREAM_VARIABLE,
    HttpTlsSettings,
    ServerTls,
    TlsError,
    server_tls,
    uvicorn_options,
)
from hub.pki import CertificateAuthority, IssuedCertificate
from hub.secrets import DEV_FLAG

PASSWORD = "a-key-password-never-printed"
PARTNER_VARIABLE = "DVC_TEST_PARTNER_CLIENT_CA_FILE"
PRODUCTION: dict[str, str] = {}


@dataclass(frozen=True)
class Material:
    ca: CertificateAuthority
    server: IssuedCertificate
    encrypted: IssuedCertificate  # key encrypted with PASSWORD
    other: IssuedCertificate  # another key pair of the same CA


@pytest.fixture(scope="module")
def material(tmp_path_factory: pytest.TempPathFactory) -> Material:
    ca = CertificateAuthority.create(tmp_path_factory.mktemp("pki"), "hub")
    return Material(
        ca,
        ca.issue_server("server"),
        ca.issue_server("encrypted", password=PASSWORD),
        ca.issue_server("other"),
    )


def tls_settings(server: IssuedCertificate, **fields: Any) -> HttpTlsSettings:
    """``server``'s certificate and key, unless ``fields`` says otherwise."""
    files = {"cert_file": server.cert_file, "key_file": server.key_file}
    return HttpTlsSettings(**{**files, **fields})


def refusal(settings: HttpTlsSettings, variable: str, env: dict[str, str] | None = None) -> str:
    """The message of ``server_tls``'s refusal; asserts it names ``variable``, not PASSWORD."""
    with pytest.raises(TlsError) as raised:
        server_tls("the test endpoint", client_ca_variable=PARTNER_VARIABLE, settings=settings,
                   env=PRODUCTION if env is None else env)  # fmt: skip
    message = str(raised.value)
    assert raised.value.variable == variable, message
    assert message.startswith(variable)
    assert PASSWORD not in message
    return message


# -- production, upstream, development ---------------------------------------------------------


def test_production_refuses_a_server_without_certificate() -> None:
    message = refusal(HttpTlsSettings(), CERT_VARIABLE)
    assert "the test endpoint" in message
    assert KEY_VARIABLE in message
    assert f"{UPSTREAM_VARIABLE}=1" in message  # the documented way out


def test_plain_http_when_tls_ends_upstream_or_in_development() -> None:
    upstream = HttpTlsSettings(terminated_upstream=True)
    assert server_tls("x", settings=upstream, env=PRODUCTION) is None
    assert server_tls("x", settings=HttpTlsSettings(), env={DEV_FLAG: "1"}) is None


def test_mutual_tls_needs_the_servers_own_tls(material: Material) -> None:
    """Client certificates cannot be checked where TLS ends in a proxy: refused, not ignored."""
    for settings, env in [
        (HttpTlsSettings(terminated_upstream=True, client_ca_file=material.ca.ca_file), {}),
        (HttpTlsSettings(), {DEV_FLAG: "1", PARTNER_VARIABLE: str(material.ca.ca_file)}),
    ]:
        variable = PARTNER_VARIABLE if PARTNER_VARIABLE in env else CLIENT_CA_VARIABLE
        assert CERT_VARIABLE in refusal(settings, variable, env)


def test_certificate_and_key_come_together(material: Material) -> None:
    refusal(HttpTlsSettings(cert_file=material.server.cert_file), KEY_VARIABLE)
    refusal(HttpTlsSettings(key_file=material.server.key_file), CERT_VARIABLE)


def test_blank_paths_are_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CERT_VARIABLE, "")  # docker-compose's ${VAR:-}
    monkeypatch.setenv(UPSTREAM_VARIABLE, "1")
    assert HttpTlsSettings().cert_file is None
    assert server_tls("x", env=PRODUCTION) is None


def test_an_invalid_flag_names_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(UPSTREAM_VARIABLE, "perhaps")
    with pytest.raises(TlsError, match=UPSTREAM_VARIABLE):
        server_tls("x", env=PRODUCTION)


# -- the client CA: the partner's own, or the general one --------------------------------------


def test_the_partners_client_ca_switches_on_mutual_tls(material: Material) -> None:
    env = {PARTNER_VARIABLE: str(material.ca.ca_file)}
    tls = server_tls("x", client_ca_variable=PARTNER_VARIABLE,
                     settings=tls_settings(material.server), env=env)  # fmt: skip
    assert tls is not None
    assert tls.mutual
    assert tls.client_ca_file == material.ca.ca_file
    assert tls.client_ca_variable == PARTNER_VARIABLE
    plain = server_tls("x", settings=tls_settings(material.server), env=env)  # not a partner's
    assert plain is not None
    assert not plain.mutual


def test_the_general_client_ca_serves_where_no_partner_ca_is_named(material: Material) -> None:
    settings = tls_settings(material.server, client_ca_file=material.ca.ca_file)
    tls = server_tls("x", client_ca_variable=PARTNER_VARIABLE, settings=settings, env={})
    assert tls is not None
    assert tls.client_ca_variable == CLIENT_CA_VARIABLE


def test_both_client_cas_set_is_refused(material: Material) -> None:
    settings = tls_settings(material.server, client_ca_file=material.ca.ca_file)
    message = refusal(settings, PARTNER_VARIABLE, {PARTNER_VARIABLE: str(material.ca.ca_file)})
    assert "both set" in message


def test_a_client_ca_file_that_holds_no_certificate(material: Material, tmp_path: Path) -> None:
    empty = tmp_path / "ca.pem"
    empty.write_text("not a certificate\n")
    refusal(tls_settings(material.server), PARTNER_VARIABLE, {PARTNER_VARIABLE: str(empty)})


# -- certificate and key ------------------------------------------------------------------------


def test_unreadable_files_name_their_variable(material: Material, tmp_path: Path) -> None:
    missing = tmp_path / "absent.pem"
    message = refusal(tls_settings(material.server, cert_file=missing), CERT_VARIABLE)
    assert "cannot be read" in message
    assert str(missing) in message
    refusal(tls_settings(material.server, key_file=missing), KEY_VARIABLE)
    refusal(tls_settings(material.server, cert_file=material.server.key_file), CERT_VARIABLE)
    refusal(tls_settings(material.server, key_file=material.server.cert_file), KEY_VARIABLE)


def test_a_key_of_another_certificate_is_refused(material: Material) -> None:
    settings = tls_settings(material.server, key_file=material.other.key_file)
    assert "does not hold the key" in refusal(settings, KEY_VARIABLE)


def test_an_expired_certificate_is_refused(material: Material) -> None:
    expired = material.ca.issue_server("expired", valid_days=0)  # over by the time it is read
    assert "expired" in refusal(tls_settings(expired), CERT_VARIABLE)


def test_an_encrypted_key_needs_its_password(material: Material) -> None:
    encrypted = material.encrypted
    refusal(tls_settings(encrypted), KEY_PASSWORD_VARIABLE)
    wrong = tls_settings(encrypted, key_password=SecretStr("not-the-password"))
    assert KEY_PASSWORD_VARIABLE in refusal(wrong, KEY_VARIABLE)
    tls = server_tls("x", settings=tls_settings(encrypted, key_password=SecretStr(PASSWORD)),
                     env=PRODUCTION)  # fmt: skip
    assert tls is not None
    assert PASSWORD not in repr(tls)


def test_the_password_may_come_from_a_file(
    material: Material, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = tmp_path / "password"
    secret.write_text(PASSWORD + "\n")
    monkeypatch.setenv(CERT_VARIABLE, str(material.encrypted.cert_file))
    monkeypatch.setenv(KEY_VARIABLE, str(material.encrypted.key_file))
    monkeypatch.setenv(KEY_PASSWORD_VARIABLE + "_FILE", str(secret))
    tls = server_tls("x", env=PRODUCTION)
    assert tls is not None
    assert tls.key_password == SecretStr(PASSWORD)


# -- what uvicorn is given ----------------------------------------------------------------------


def test_uvicorn_gets_the_files_client_cas_and_a_floor_of_tls_1_2(material: Material) -> None:
    assert uvicorn_options(None) == {}
    tls = ServerTls(material.encrypted.cert_file, material.encrypted.key_file,
                    SecretStr(PASSWORD), material.ca.ca_file)  # fmt: skip
    config = uvicorn.Config(app=lambda *_: None, **uvicorn_options(tls))
    config.load()
    assert config.ssl is not None
    assert config.ssl.verify_mode == ssl.CERT_REQUIRED
    assert config.ssl.minimum_version == MINIMUM_VERSION
    assert config.ssl.options & ssl.OP_NO_RENEGOTIATION
    without_ca = ServerTls(material.server.cert_file, material.server.key_file)
    assert uvicorn_options(without_ca)["ssl_cert_reqs"] == ssl.CERT_NONE
