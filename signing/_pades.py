"""PAdES signing of PDFs (baseline B-B, B-T, B-LT) with pyHanko."""

from __future__ import annotations

from io import BytesIO

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign.fields import SigSeedSubFilter, enumerate_sig_fields
from pyhanko.sign.general import SigningError as HankoSigningError
from pyhanko.sign.signers import PdfSignatureMetadata, PdfSigner
from pyhanko.sign.timestamps import TimeStamper
from pyhanko_certvalidator import ValidationContext

from ._errors import CorruptDocument, UnsupportedDocument, translated_errors
from ._keys import LoadedKey
from ._models import SignatureLevel

__all__ = ["PADES_LEVELS", "open_pdf_for_signing", "sign_pdf"]

PADES_LEVELS = frozenset(
    {SignatureLevel.PADES_B_B, SignatureLevel.PADES_B_T, SignatureLevel.PADES_B_LT}
)


def open_pdf_for_signing(data: bytes) -> IncrementalPdfFileWriter:
    # The header may be preceded by junk, but must appear within the first 1024 bytes.
    if b"%PDF-" not in data[:1024]:
        raise CorruptDocument("document is declared as PDF but has no %PDF- header")
    try:
        writer = IncrementalPdfFileWriter(BytesIO(data), strict=False)
        # Touch the page tree now so a truncated file fails here, not mid-signature.
        writer.root["/Pages"]
    except CorruptDocument:
        raise
    except Exception as exc:
        # pyHanko's reader raises assorted errors (PdfReadError, KeyError, ValueError,
        # struct errors) on malformed input; all mean the same thing to us.
        raise CorruptDocument(f"PDF cannot be parsed: {type(exc).__name__}: {exc}") from exc
    if writer.prev.encrypted:
        raise UnsupportedDocument("encrypted PDFs are not signed")
    return writer


async def sign_pdf(
    data: bytes,
    key: LoadedKey,
    level: SignatureLevel,
    *,
    timestamper: TimeStamper | None,
    validation_context: ValidationContext | None = None,
    reason: str | None = None,
    location: str | None = None,
) -> bytes:
    """Return the PDF with one more (incremental) PAdES signature.

    B-T and B-LT require ``timestamper``; B-LT also needs ``validation_context``
    to fetch the revocation information that is embedded in the DSS.
    """
    if level not in PADES_LEVELS:
        raise UnsupportedDocument(f"{level} is not a PAdES level")
    if level.needs_timestamp and timestamper is None:
        raise UnsupportedDocument(f"{level} needs a configured time-stamping authority")
    writer = open_pdf_for_signing(data)
    long_term = level is SignatureLevel.PADES_B_LT
    # A fresh field per signature: a result PDF may already carry other signatures.
    existing = {name for name, _, _ in enumerate_sig_fields(writer)}
    field_name = next(
        name for n in range(1, len(existing) + 2) if (name := f"Signature{n}") not in existing
    )
    metadata = PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm="sha256",
        subfilter=SigSeedSubFilter.PADES,
        reason=reason,
        location=location,
        embed_validation_info=long_term,
        validation_context=validation_context if long_term else None,
        use_pades_lta=False,
    )
    pdf_signer = PdfSigner(
        metadata,
        signer=key.signer,
        timestamper=timestamper if level.needs_timestamp else None,
    )
    output = BytesIO()
    with translated_errors(f"{level} signing"):
        try:
            await pdf_signer.async_sign_pdf(
                writer, bytes_reserved=_reservation(key, level), output=output
            )
        except HankoSigningError as exc:
            if "larger than expected" not in str(exc):
                raise
            # An unusually large chain or timestamp token: let pyHanko size the
            # signature with a dry run (on a fresh writer; the first one is spent).
            output = BytesIO()
            await pdf_signer.async_sign_pdf(open_pdf_for_signing(data), output=output)
    return output.getvalue()


def _reservation(key: LoadedKey, level: SignatureLevel) -> int:
    """Bytes to reserve for the CMS blob, so pyHanko can skip its dry-run signature.

    The dry run used to size the placeholder costs as much as the real signature
    (pyHanko builds CMS structures in pure Python): reserving generously halves
    the signing time; the zero padding costs a few KiB per document.
    """
    certificates = sum(len(cert.dump()) for cert in (key.certificate, *key.chain))
    # SignerInfo + signed attributes + signature value (up to RSA-4096).
    signer_info = 4096
    # TST: TSTInfo, the TSA's SignerInfo and its certificate chain.
    timestamp_token = 8 * 1024 if level.needs_timestamp else 0
    # pyHanko counts the reservation in hex digits: two per DER byte.
    return 2 * (certificates + signer_info + timestamp_token)
