"""Verification of enveloped XMLDSig signatures: signxml for the cryptography,
pyhanko-certvalidator for chain and revocation (signxml checks neither CRL nor OCSP)."""

from __future__ import annotations

import asyncio
import base64
import binascii

from asn1crypto import x509  # type: ignore[import-untyped]
from cryptography import x509 as pyca_x509
from lxml import etree
from signxml import SignatureConfiguration, XMLVerifier  # type: ignore[attr-defined]
from signxml.exceptions import InvalidInput, InvalidSignature

from ._errors import CorruptDocument
from ._keys import identity_of
from ._models import Check, SignatureReport, TrustConfig
from ._trust import certificate_path_checks
from ._xml import parse_xml

__all__ = ["verify_xml_signature"]

_DSIG = "{http://www.w3.org/2000/09/xmldsig#}"


def _embedded_certificates(data: bytes) -> list[x509.Certificate]:
    root = parse_xml(data)
    signature = root.find(f".//{_DSIG}Signature")
    if signature is None:
        return []
    certs = []
    for element in signature.iter(f"{_DSIG}X509Certificate"):
        der = base64.b64decode("".join((element.text or "").split()), validate=True)
        certs.append(x509.Certificate.load(der))
    return certs


def _covers_whole_document(data: bytes) -> bool:
    # URI="" is the enveloping document; anything else signs only a fragment and
    # leaves the rest open to wrapping attacks.
    references = list(parse_xml(data).iter(f"{_DSIG}Reference"))
    return len(references) == 1 and references[0].get("URI") == ""


def _integrity(data: bytes, signer: x509.Certificate) -> Check:
    if not _covers_whole_document(data):
        return Check("integrity", False, "signature does not cover the whole document")
    pyca_cert = pyca_x509.load_der_x509_certificate(signer.dump())
    # Integrity is pure cryptography: evaluate it at a moment the certificate was
    # valid, so an expired certificate shows up under "chain", not as tampering.
    inside_validity = (
        pyca_cert.not_valid_before_utc
        + (pyca_cert.not_valid_after_utc - pyca_cert.not_valid_before_utc) / 2
    )
    # Exactly one reference: the enveloped document itself, nothing smuggled in.
    expectations = SignatureConfiguration(verification_time=inside_validity, expect_references=1)
    try:
        XMLVerifier().verify(data, x509_cert=pyca_cert, expect_config=expectations)
    except InvalidSignature as exc:
        # InvalidDigest (content changed) is a subclass of InvalidSignature.
        return Check("integrity", False, f"XML signature does not verify: {exc}")
    return Check("integrity", True, "references and signature value match")


async def verify_xml_signature(
    data: bytes, trust: TrustConfig
) -> tuple[list[SignatureReport], list[str]]:
    try:
        certs = _embedded_certificates(data)
    except CorruptDocument as exc:
        return [], [str(exc)]
    except (ValueError, binascii.Error) as exc:
        return [], [f"embedded X.509 certificate cannot be read: {exc}"]
    if not certs:
        return [], ["XML carries no ds:Signature with an X.509 certificate"]
    # signxml writes the signer certificate first, then the chain.
    signer, others = certs[0], certs[1:]
    try:
        integrity = await asyncio.to_thread(_integrity, data, signer)
        path_checks = await certificate_path_checks(signer, others, trust)
        identity = identity_of(signer)
    except (InvalidInput, etree.LxmlError, ValueError) as exc:
        # Schema violations in ds:Signature, undecodable certificates and the like.
        return [], [f"XML signature is malformed: {type(exc).__name__}: {exc}"]
    report = SignatureReport(
        format="XMLDSIG_ENVELOPED",
        signer=identity,
        signing_time=None,
        timestamp_time=None,
        checks=(integrity, *path_checks),
    )
    return [report], []
