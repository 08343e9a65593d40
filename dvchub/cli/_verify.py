"""``dvchub verify`` and ``dvchub sign``: signatures on one file (the ``signing`` extra).

``signing`` is imported inside the commands: the rest of ``dvchub`` works without the extra.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

if TYPE_CHECKING:
    from signing import SignatureLevel

__all__ = ["register"]

TrustAnchorOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--trust-anchor",
        "-t",
        exists=True,
        dir_okay=False,
        help="Root CA certificate (PEM/DER); repeatable. Adds to DVC_SIGNING_TRUST_ANCHORS.",
    ),
]


def _default_output(path: Path, level: SignatureLevel) -> Path:
    from signing import SignatureLevel

    if level is SignatureLevel.CMS_DETACHED:
        return path.with_name(path.name + ".p7s")
    return path.with_name(f"{path.stem}.signed{path.suffix}")


def _signature_level(name: str) -> SignatureLevel:
    from signing import SignatureLevel

    try:
        return SignatureLevel(name.upper())
    except ValueError:
        choices = ", ".join(level.value for level in SignatureLevel)
        raise typer.BadParameter(
            f"{name!r} is not one of {choices}", param_hint="--level"
        ) from None


def verify_command(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Signed document.")],
    signature: Annotated[
        Path | None,
        typer.Option(
            "--signature",
            "-s",
            exists=True,
            dir_okay=False,
            help="Detached CMS signature; defaults to FILE.p7s when that exists.",
        ),
    ] = None,
    trust_anchor: TrustAnchorOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Verify the signatures on FILE; exit code 0 if valid, 1 if not."""
    from signing import SigningError, render_report, report_as_dict, trust_config_from_env, verify

    console = Console()
    try:
        trust = trust_config_from_env(extra_anchors=tuple(trust_anchor or ()))
    except SigningError as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from exc
    if signature is None:
        sidecar = file.with_name(file.name + ".p7s")
        original = file.with_suffix("")
        if sidecar.is_file():
            signature = sidecar
        elif file.suffix == ".p7s" and original.is_file():
            # Given the signature file itself: verify it over the document beside it.
            file, signature = original, file
    report = verify(file, trust=trust, signature=signature)
    if as_json:
        typer.echo(json.dumps(report_as_dict(report), ensure_ascii=False, indent=2))
    else:
        render_report(report, console)
    raise typer.Exit(0 if report.valid else 1)


def sign_command(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Document to sign.")],
    level: Annotated[
        str | None,
        typer.Option(
            "--level",
            "-l",
            help="A signing.SignatureLevel. Default: PADES_B_T for PDF (B_B without TSA), "
            "XMLDSIG_ENVELOPED for XML, CMS_DETACHED otherwise.",
        ),
    ] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", dir_okay=False)] = None,
    pkcs12: Annotated[
        Path | None,
        typer.Option(
            exists=True,
            dir_okay=False,
            help="PKCS#12 key file (password from DVC_SIGNING_PKCS12_PASSWORD).",
        ),
    ] = None,
    tsa_url: Annotated[str | None, typer.Option(help="RFC 3161 time-stamping URL.")] = None,
    fallback_to_bb: Annotated[
        bool, typer.Option("--fallback-to-bb", help="Sign B-B if the TSA is unreachable.")
    ] = False,
    trust_anchor: TrustAnchorOption = None,
) -> None:
    """Sign FILE with the configured agency key (PKCS#12 or PKCS#11 token)."""
    from signing import (
        ENV_PREFIX,
        PDF_MEDIA_TYPE,
        VIETNAM_TZ,
        SignatureLevel,
        SigningError,
        detect_media_type,
        key_source_from_env,
        sign_document,
        signing_config_from_env,
        trust_config_from_env,
    )

    chosen = None if level is None else _signature_level(level)
    console = Console()
    data = file.read_bytes()
    media_type = detect_media_type(data)
    env = dict(os.environ)
    if pkcs12 is not None:
        env[ENV_PREFIX + "KEY_KIND"] = "pkcs12"
        env[ENV_PREFIX + "PKCS12_PATH"] = str(pkcs12)
    try:
        config = signing_config_from_env(
            env,
            key_source=key_source_from_env(env),
            trust=trust_config_from_env(env, extra_anchors=tuple(trust_anchor or ())),
            tsa_url=tsa_url,
            tsa_fallback_to_bb=fallback_to_bb or None,
        )
        if chosen is None:
            if media_type == PDF_MEDIA_TYPE:
                chosen = SignatureLevel.PADES_B_T if config.tsa else SignatureLevel.PADES_B_B
            elif media_type == "application/xml":
                chosen = SignatureLevel.XMLDSIG_ENVELOPED
            else:
                chosen = SignatureLevel.CMS_DETACHED
        signed = sign_document(data, media_type=media_type, level=chosen, config=config)
    except SigningError as exc:
        console.print(f"[red]signing refused ({exc.reason_code}):[/] {exc}")
        raise typer.Exit(1) from exc
    target = output or _default_output(file, signed.level)
    target.write_bytes(signed.content)
    console.print(f"[green]signed[/] {file} -> {target} ({signed.level})")
    console.print(f"  signer: {signed.signer.subject}")
    console.print(f"  certificate SHA-256: {signed.signer.certificate_sha256}")
    if signed.timestamp_time is not None:
        local = signed.timestamp_time.astimezone(VIETNAM_TZ)
        console.print(f"  timestamp: {local:%d/%m/%Y %H:%M:%S} (giờ Việt Nam)")


def register(app: typer.Typer) -> None:
    """Add ``verify`` and ``sign`` to the given typer application."""
    app.command("verify")(verify_command)
    app.command("sign")(sign_command)
