"""Detached CMS / PKCS#7 signatures for documents of any other type.

A key held in memory (PKCS#12) is used with ``cryptography``'s PKCS#7 builder,
which is implemented in Rust and costs little more than the RSA operation.
A key in a PKCS#11 token cannot be handed to ``cryptography``, so there the
CMS structure is built by pyHanko (asn1crypto) around the token's signature.
"""

from __future__ import annotations

from asn1crypto import cms  # type: ignore[import-untyped]
from cryptography import x509 as pyca_x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePrivateKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, pkcs7

from ._errors import translated_errors
from ._keys import LoadedKey, in_memory_private_key

__all__ = ["sign_detached_cms"]


def _sign_in_memory(
    data: bytes, key: LoadedKey, private_key: RSAPrivateKey | EllipticCurvePrivateKey
) -> bytes:
    builder = pkcs7.PKCS7SignatureBuilder().set_data(data)
    builder = builder.add_signer(
        pyca_x509.load_der_x509_certificate(key.certificate.dump()), private_key, hashes.SHA256()
    )
    for ca_certificate in key.chain:
        builder = builder.add_certificate(
            pyca_x509.load_der_x509_certificate(ca_certificate.dump())
        )
    # Binary: sign the bytes as they are, no S/MIME line-ending canonicalisation.
    options = [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary]
    return builder.sign(Encoding.DER, options)


async def sign_detached_cms(data: bytes, key: LoadedKey) -> bytes:
    """DER-encoded ``ContentInfo(SignedData)`` over ``data``, without the content itself."""
    private_key = in_memory_private_key(key)
    if isinstance(private_key, RSAPrivateKey | EllipticCurvePrivateKey):
        return _sign_in_memory(data, key, private_key)
    with translated_errors("CMS signing"):
        content_info: cms.ContentInfo = await key.signer.async_sign_general_data(
            data, "sha256", detached=True
        )
    der: bytes = content_info.dump()
    return der
