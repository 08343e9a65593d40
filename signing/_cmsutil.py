"""Small helpers over asn1crypto CMS structures shared by signers and verifiers."""

from __future__ import annotations

from datetime import datetime

from asn1crypto import cms, tsp  # type: ignore[import-untyped]

__all__ = ["timestamp_time_of"]


def timestamp_time_of(signer_info: cms.SignerInfo) -> datetime | None:
    """The genTime of the RFC 3161 signature timestamp token, if the signature has one."""
    unsigned = signer_info["unsigned_attrs"]
    if unsigned.native is None:
        return None
    for attribute in unsigned:
        if attribute["type"].native != "signature_time_stamp_token":
            continue
        token: cms.ContentInfo = attribute["values"][0]
        content = token["content"]["encap_content_info"]["content"]
        tst_info = content.parsed
        if isinstance(tst_info, tsp.TSTInfo):
            gen_time: datetime = tst_info["gen_time"].native
            return gen_time
    return None
