"""Session-wide test PKI (real TSA/OCSP/CRL over HTTP on 127.0.0.1) and SoftHSM token."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from signing import KeySourceError, LocalDocumentStore, SigningConfig, TimestampConfig
from signing.testing import (
    SoftHSMToken,
    TestPKI,
    find_softhsm_library,
    provision_softhsm_token,
    running_test_pki,
    sample_pdf,
)

SAMPLE_XML = (
    "<?xml version='1.0' encoding='UTF-8'?>"
    "<KetQuaGiaiQuyet><MaHoSo>H12.34-260101-0001</MaHoSo>"
    "<NoiDung>Cấp giấy chứng nhận</NoiDung></KetQuaGiaiQuyet>"
).encode()


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestPKI]:
    with running_test_pki(tmp_path_factory.mktemp("pki")) as running:
        yield running


@pytest.fixture(scope="session")
def softhsm_token(pki: TestPKI, tmp_path_factory: pytest.TempPathFactory) -> SoftHSMToken:
    # Deliberately a failure, not a skip: CI must not go green without the token tests.
    missing: str | None = None
    try:
        find_softhsm_library()
    except KeySourceError as exc:
        missing = str(exc)
    if missing is not None:
        pytest.fail(f"PKCS#11 tests need SoftHSM2: {missing}", pytrace=False)
    if shutil.which("softhsm2-util") is None:
        pytest.fail("PKCS#11 tests need softhsm2-util: apt-get install -y softhsm2", pytrace=False)
    return provision_softhsm_token(
        tmp_path_factory.mktemp("softhsm"),
        private_key_pkcs8_der=pki.private_key_pkcs8_der("agency-hsm"),
        certificate=pki.certificate("agency-hsm"),
        ca_certificates=[pki.certificate("interm"), pki.certificate("root")],
    )


@pytest.fixture(scope="session")
def foreign_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A self-signed root that did not issue anything we sign with."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Some Other Root CA")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    path = tmp_path_factory.mktemp("foreign") / "foreign-root.pem"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path


@pytest.fixture
def store(tmp_path: Path) -> LocalDocumentStore:
    return LocalDocumentStore(tmp_path / "store")


@pytest.fixture
def pkcs12_config(pki: TestPKI) -> SigningConfig:
    return SigningConfig(pki.pkcs12_key_source(), pki.trust_config(), TimestampConfig(pki.tsa_url))


@pytest.fixture
def pdf_bytes() -> bytes:
    return sample_pdf()


@pytest.fixture
def xml_bytes() -> bytes:
    return SAMPLE_XML
