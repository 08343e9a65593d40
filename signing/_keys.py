"""Key sources: a PKCS#12 file or a PKCS#11 token, chosen by ``KeySourceConfig.kind``.

Both yield a pyHanko ``Signer``. With PKCS#11 the private key never leaves the
token: pyHanko's ``PKCS11Signer`` asks the token to sign the digest.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from asn1crypto import pem, x509  # type: ignore[import-untyped]
from cryptography import x509 as pyca_x509
from cryptography.hazmat.primitives.asymmetric.ec import ECDSA, EllipticCurvePrivateKey
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.hazmat.primitives.serialization import load_der_private_key
from pyhanko.sign.signers import Signer, SimpleSigner
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

from ._errors import KeySourceError, translated_errors
from ._models import KeySourceConfig, SignerIdentity

__all__ = [
    "LoadedKey",
    "identity_of",
    "in_memory_private_key",
    "load_certificates",
    "open_key_source",
]


@dataclass(frozen=True)
class LoadedKey:
    signer: Signer
    certificate: x509.Certificate
    # Intermediate CAs (and possibly the root) that help build the chain.
    chain: tuple[x509.Certificate, ...]
    identity: SignerIdentity


def identity_of(certificate: x509.Certificate) -> SignerIdentity:
    der = certificate.dump()
    parsed = pyca_x509.load_der_x509_certificate(der)
    return SignerIdentity(
        certificate_sha256=hashlib.sha256(der).hexdigest(),
        subject=parsed.subject.rfc4514_string(),
        issuer=parsed.issuer.rfc4514_string(),
        serial_number=parsed.serial_number,
        not_valid_before=parsed.not_valid_before_utc,
        not_valid_after=parsed.not_valid_after_utc,
    )


def load_certificates(path: Path) -> list[x509.Certificate]:
    """Read every certificate in a PEM bundle or a single DER file."""
    data = path.read_bytes()
    if pem.detect(data):
        return [x509.Certificate.load(der) for _, _, der in pem.unarmor(data, multiple=True)]
    return [x509.Certificate.load(data)]


def _extra_certs(config: KeySourceConfig) -> list[x509.Certificate]:
    certs: list[x509.Certificate] = []
    for path in config.extra_cert_paths:
        try:
            certs.extend(load_certificates(path))
        except (OSError, ValueError) as exc:
            raise KeySourceError(f"cannot read CA certificate file {path}: {exc}") from exc
    return certs


def _loaded(signer: Signer, extra: list[x509.Certificate]) -> LoadedKey:
    certificate = signer.signing_cert
    if certificate is None:
        raise KeySourceError("key source holds no signer certificate")
    chain = [cert for cert in signer.cert_registry if cert.dump() != certificate.dump()]
    for cert in extra:
        if all(cert.dump() != known.dump() for known in chain):
            chain.append(cert)
    return LoadedKey(signer, certificate, tuple(chain), identity_of(certificate))


class _ParsedKeySigner(SimpleSigner):
    """SimpleSigner that parses its private key once instead of on every signature.

    pyHanko's SimpleSigner re-loads the key for each signature, and cryptography
    re-validates an RSA key on every load (~100 ms for RSA-2048): that alone made
    a CMS signature 100x slower than the RSA operation. Mechanisms other than
    RSA PKCS#1 v1.5 and ECDSA go through pyHanko unchanged.
    """

    def __init__(self, loaded: SimpleSigner) -> None:
        super().__init__(
            signing_cert=loaded.signing_cert,
            signing_key=loaded.signing_key,
            cert_registry=loaded.cert_registry,
            signature_mechanism=loaded.signature_mechanism,
        )
        self.private_key = load_der_private_key(loaded.signing_key.dump(), password=None)

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
        hash_algorithm = get_pyca_cryptography_hash(digest_algorithm)
        key = self.private_key
        if mechanism == "rsassa_pkcs1v15" and isinstance(key, RSAPrivateKey):
            return key.sign(data, PKCS1v15(), hash_algorithm)
        if mechanism == "ecdsa" and isinstance(key, EllipticCurvePrivateKey):
            return key.sign(data, ECDSA(hash_algorithm))
        signature: bytes = super().sign_raw(data, digest_algorithm)
        return signature


def in_memory_private_key(key: LoadedKey) -> PrivateKeyTypes | None:
    """The private key object when it lives in this process (PKCS#12), else ``None``."""
    signer = key.signer
    return signer.private_key if isinstance(signer, _ParsedKeySigner) else None


def _open_pkcs12(config: KeySourceConfig) -> LoadedKey:
    assert config.pkcs12_path is not None  # guaranteed by KeySourceConfig
    extra = _extra_certs(config)
    try:
        data = config.pkcs12_path.read_bytes()
    except OSError as exc:
        raise KeySourceError(f"cannot read PKCS#12 file {config.pkcs12_path}: {exc}") from exc
    try:
        signer = SimpleSigner.load_pkcs12_data(data, extra, passphrase=config.pkcs12_password)
    except (ValueError, TypeError) as exc:
        # cryptography's message mentions neither the password nor the key.
        raise KeySourceError(
            f"cannot open PKCS#12 file {config.pkcs12_path} (wrong password or corrupt file)"
        ) from exc
    if signer is None:
        raise KeySourceError(f"cannot open PKCS#12 file {config.pkcs12_path}")
    return _loaded(_ParsedKeySigner(signer), extra)


@contextmanager
def _open_pkcs11(config: KeySourceConfig) -> Iterator[LoadedKey]:
    from pyhanko.config.pkcs11 import TokenCriteria
    from pyhanko.sign.pkcs11 import PKCS11Signer, open_pkcs11_session

    extra = _extra_certs(config)
    library = str(config.pkcs11_library)
    if config.pkcs11_library is not None and not config.pkcs11_library.exists():
        raise KeySourceError(f"PKCS#11 module {library} does not exist")
    with translated_errors("opening PKCS#11 token"):
        session = open_pkcs11_session(
            library,
            token_criteria=TokenCriteria(label=config.token_label),
            user_pin=config.user_pin,
        )
    try:
        with translated_errors("loading key from PKCS#11 token"):
            signer = PKCS11Signer(
                session,
                cert_label=config.cert_label or config.key_label,
                key_label=config.key_label,
                # None = pull every certificate on the token: CA certs stored there
                # complete the chain.
                other_certs_to_pull=None,
                ca_chain=extra,
            )
            loaded = _loaded(signer, extra)
        yield loaded
    finally:
        session.close()


@contextmanager
def open_key_source(config: KeySourceConfig) -> Iterator[LoadedKey]:
    """Open the configured key source for the duration of the ``with`` block."""
    if config.kind == "pkcs12":
        yield _open_pkcs12(config)
    else:
        with _open_pkcs11(config) as loaded:
            yield loaded
