"""``dvchub verify`` / ``dvchub sign`` through typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from dvchub.cli import app as dvchub_app
from signing import SignatureLevel, SigningConfig, sign_document
from signing.testing import TestPKI


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    return dvchub_app


@pytest.fixture
def env(pki: TestPKI) -> dict[str, str]:
    return {
        "DVC_SIGNING_TRUST_ANCHORS": str(pki.root_cert_path),
        "DVC_SIGNING_PKCS12_PASSWORD": pki.pkcs12_password.decode(),
    }


@pytest.fixture
def signed_pdf(tmp_path: Path, pkcs12_config: SigningConfig, pdf_bytes: bytes) -> Path:
    signed = sign_document(
        pdf_bytes,
        media_type="application/pdf",
        level=SignatureLevel.PADES_B_T,
        config=pkcs12_config,
    )
    path = tmp_path / "ket-qua.pdf"
    path.write_bytes(signed.content)
    return path


def test_verify_valid_document_exits_0(
    app: typer.Typer, env: dict[str, str], signed_pdf: Path
) -> None:
    result = CliRunner().invoke(app, ["verify", str(signed_pdf)], env=env)
    assert result.exit_code == 0, result.output
    assert "VALID" in result.output
    assert "INVALID" not in result.output
    assert "revocation" in result.output
    assert "giờ Việt Nam" in result.output


def test_verify_tampered_document_exits_1(
    app: typer.Typer, env: dict[str, str], signed_pdf: Path
) -> None:
    signed_pdf.write_bytes(signed_pdf.read_bytes().replace(b"Ket qua", b"Ket quA", 1))
    result = CliRunner().invoke(app, ["verify", str(signed_pdf)], env=env)
    assert result.exit_code == 1, result.output
    assert "INVALID" in result.output
    assert "FAILED" in result.output


def test_verify_json_output(app: typer.Typer, env: dict[str, str], signed_pdf: Path) -> None:
    result = CliRunner().invoke(app, ["verify", "--json", str(signed_pdf)], env=env)
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["valid"] is True
    assert body["signatures"][0]["format"] == "PADES_B_T"
    assert body["signatures"][0]["timestamp_time"].endswith("+00:00")


def test_verify_without_trust_anchors_is_a_usage_error(app: typer.Typer, signed_pdf: Path) -> None:
    result = CliRunner().invoke(
        app, ["verify", str(signed_pdf)], env={"DVC_SIGNING_TRUST_ANCHORS": ""}
    )
    assert result.exit_code == 2
    assert "trust anchors" in result.output


def test_sign_then_verify_detached_cms(
    app: typer.Typer, env: dict[str, str], pki: TestPKI, tmp_path: Path
) -> None:
    document = tmp_path / "bien-ban.bin"
    document.write_bytes(b"\x00\x01 binary result")
    signed = CliRunner().invoke(
        app, ["sign", str(document), "--pkcs12", str(pki.pkcs12_path("agency"))], env=env
    )
    assert signed.exit_code == 0, signed.output
    signature = tmp_path / "bien-ban.bin.p7s"
    assert signature.is_file()

    verified = CliRunner().invoke(app, ["verify", str(document)], env=env)  # finds the .p7s
    assert verified.exit_code == 0, verified.output
    assert "CMS_DETACHED" in verified.output

    by_signature = CliRunner().invoke(app, ["verify", str(signature)], env=env)
    assert by_signature.exit_code == 0, by_signature.output

    document.write_bytes(b"\x00\x01 altered result")
    altered = CliRunner().invoke(app, ["verify", str(document)], env=env)
    assert altered.exit_code == 1, altered.output


def test_sign_pdf_with_tsa(
    app: typer.Typer, env: dict[str, str], pki: TestPKI, tmp_path: Path, pdf_bytes: bytes
) -> None:
    document = tmp_path / "giay-phep.pdf"
    document.write_bytes(pdf_bytes)
    signed = CliRunner().invoke(
        app,
        [
            "sign",
            str(document),
            "--pkcs12",
            str(pki.pkcs12_path("agency")),
            "--tsa-url",
            pki.tsa_url,
        ],
        env=env,
    )
    assert signed.exit_code == 0, signed.output
    assert "PADES_B_T" in signed.output
    verified = CliRunner().invoke(app, ["verify", str(tmp_path / "giay-phep.signed.pdf")], env=env)
    assert verified.exit_code == 0, verified.output


def test_sign_refuses_revoked_certificate(
    app: typer.Typer, env: dict[str, str], pki: TestPKI, tmp_path: Path, pdf_bytes: bytes
) -> None:
    document = tmp_path / "giay-phep.pdf"
    document.write_bytes(pdf_bytes)
    result = CliRunner().invoke(
        app, ["sign", str(document), "--pkcs12", str(pki.pkcs12_path("agency-revoked"))], env=env
    )
    assert result.exit_code == 1
    assert "certificate_revoked" in result.output
    assert not (tmp_path / "giay-phep.signed.pdf").exists()
