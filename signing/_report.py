"""Serialising verification reports: JSON for the API, rich tables for people."""

from __future__ import annotations

from datetime import datetime

from rich.console import Console
from rich.table import Table

# typing_extensions': FastAPI builds ``POST /v1/verify``'s response model from ReportJson, and
# pydantic takes only this TypedDict on Python < 3.12.
from typing_extensions import TypedDict

from ._models import VIETNAM_TZ, SignatureReport, SignerIdentity, VerificationReport

__all__ = ["ReportJson", "render_report", "report_as_dict"]


class SignerJson(TypedDict):
    """The signer's certificate, as the verification report names it."""

    certificate_sha256: str
    subject: str
    issuer: str
    serial_number: str
    not_valid_before: str | None
    not_valid_after: str | None


class CheckJson(TypedDict):
    name: str
    passed: bool
    detail: str


class SignatureJson(TypedDict):
    format: str
    valid: bool
    signer: SignerJson | None
    signing_time: str | None
    timestamp_time: str | None
    checks: list[CheckJson]


class ReportJson(TypedDict):
    """``POST /v1/verify``'s body (and ``dvchub-sign verify --json``)."""

    valid: bool
    document_sha256: str
    media_type: str
    problems: list[str]
    signatures: list[SignatureJson]


def _utc(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _signer_dict(signer: SignerIdentity | None) -> SignerJson | None:
    if signer is None:
        return None
    return {
        "certificate_sha256": signer.certificate_sha256,
        "subject": signer.subject,
        "issuer": signer.issuer,
        "serial_number": str(signer.serial_number),
        "not_valid_before": _utc(signer.not_valid_before),
        "not_valid_after": _utc(signer.not_valid_after),
    }


def _signature_dict(signature: SignatureReport) -> SignatureJson:
    return {
        "format": signature.format,
        "valid": signature.valid,
        "signer": _signer_dict(signature.signer),
        "signing_time": _utc(signature.signing_time),
        "timestamp_time": _utc(signature.timestamp_time),
        "checks": [
            {"name": check.name, "passed": check.passed, "detail": check.detail}
            for check in signature.checks
        ],
    }


def report_as_dict(report: VerificationReport) -> ReportJson:
    """JSON-ready dict; times are ISO 8601 in UTC (the wire format)."""
    return {
        "valid": report.valid,
        "document_sha256": report.document_sha256,
        "media_type": report.media_type,
        "problems": list(report.problems),
        "signatures": [_signature_dict(signature) for signature in report.signatures],
    }


def _local(moment: datetime | None) -> str:
    if moment is None:
        return "-"
    return moment.astimezone(VIETNAM_TZ).strftime("%d/%m/%Y %H:%M:%S (giờ Việt Nam)")


def render_report(report: VerificationReport, console: Console) -> None:
    verdict = "[bold green]VALID[/]" if report.valid else "[bold red]INVALID[/]"
    console.print(f"{verdict}  {report.media_type}  sha256={report.document_sha256}")
    for problem in report.problems:
        console.print(f"[red]✗[/] {problem}")
    for number, signature in enumerate(report.signatures, start=1):
        subject = signature.signer.subject if signature.signer else "unknown signer"
        table = Table(title=f"Signature {number}: {signature.format} — {subject}")
        table.add_column("check")
        table.add_column("result")
        table.add_column("detail")
        for check in signature.checks:
            mark = "[green]passed[/]" if check.passed else "[red]FAILED[/]"
            table.add_row(check.name, mark, check.detail)
        console.print(table)
        if signature.signer is not None:
            console.print(f"  certificate SHA-256: {signature.signer.certificate_sha256}")
        console.print(f"  signing time (claimed): {_local(signature.signing_time)}")
        console.print(f"  timestamp: {_local(signature.timestamp_time)}")
