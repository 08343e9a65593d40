"""Enveloped XML signatures (XMLDSig) with signxml.

signxml wants a ``cryptography`` private-key object and only ever calls its
``sign`` method; :class:`_SignerBackedKey` provides that method on top of a
pyHanko ``Signer`` so the same code path serves PKCS#12 keys and keys that
never leave a PKCS#11 token.
"""

from __future__ import annotations

import asyncio
from typing import Any

from cryptography import x509 as pyca_x509
from cryptography.hazmat.primitives import hashes
from lxml import etree
from signxml import (  # type: ignore[attr-defined]
    DigestAlgorithm,
    SignatureConstructionMethod,
    SignatureMethod,
    XMLSigner,
)

from ._errors import CorruptDocument, translated_errors
from ._keys import LoadedKey

__all__ = ["parse_xml", "sign_xml_enveloped"]


def parse_xml(data: bytes) -> etree._Element:
    # No entity expansion and no network access: documents come from citizens.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=False)
    try:
        return etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise CorruptDocument(f"XML cannot be parsed: {exc}") from exc


class _SignerBackedKey:
    """Duck-typed stand-in for a cryptography private key (only ``sign`` is used)."""

    def __init__(self, key: LoadedKey) -> None:
        self._key = key
        self.key_size: int = key.certificate.public_key.bit_size

    def sign(self, data: bytes, *args: Any, **kwargs: Any) -> bytes:
        algorithm = kwargs.get("algorithm")
        ecdsa = kwargs.get("signature_algorithm")
        if ecdsa is not None:
            algorithm = ecdsa.algorithm
        if not isinstance(algorithm, hashes.HashAlgorithm):
            raise TypeError("signxml did not say which hash algorithm to use")
        # signxml is synchronous; this runs in a worker thread (see sign_xml_enveloped),
        # so it may start its own event loop.
        signature: bytes = asyncio.run(self._key.signer.async_sign_raw(data, algorithm.name))
        return signature


def _sign_blocking(data: bytes, key: LoadedKey) -> bytes:
    root = parse_xml(data)
    key_algorithm = key.certificate.public_key.algorithm
    if key_algorithm == "rsa":
        method = SignatureMethod.RSA_SHA256
    elif key_algorithm == "ec":
        method = SignatureMethod.ECDSA_SHA256
    else:
        raise CorruptDocument(f"no XMLDSig algorithm for {key_algorithm} keys")
    signer = XMLSigner(
        method=SignatureConstructionMethod.enveloped,
        signature_algorithm=method,
        digest_algorithm=DigestAlgorithm.SHA256,
    )
    certificates = [
        pyca_x509.load_der_x509_certificate(cert.dump())
        for cert in (key.certificate, *key.chain)
        if cert.self_signed == "no"
    ]
    with translated_errors("XMLDSig signing"):
        signed_root = signer.sign(root, key=_SignerBackedKey(key), cert=certificates)  # type: ignore[arg-type]
    result: bytes = etree.tostring(signed_root, xml_declaration=True, encoding="UTF-8")
    return result


async def sign_xml_enveloped(data: bytes, key: LoadedKey) -> bytes:
    return await asyncio.to_thread(_sign_blocking, data, key)
