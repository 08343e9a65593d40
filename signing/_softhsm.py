"""Throwaway SoftHSM2 tokens for tests and demos.

A token lives in its own directory with its own ``softhsm2.conf``; the agency
key is imported once (softhsm2-util) and from then on only the token signs.
The certificate (and the CA chain) are stored next to the key so pyHanko's
PKCS#11 signer finds them by label.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from asn1crypto import pem, x509  # type: ignore[import-untyped]

from ._errors import KeySourceError
from ._models import KeySourceConfig

__all__ = [
    "SOFTHSM_LIBRARY_PATHS",
    "SoftHSMToken",
    "find_softhsm_library",
    "provision_softhsm_token",
]

SOFTHSM_LIBRARY_PATHS = (
    Path("/usr/lib/softhsm/libsofthsm2.so"),
    Path("/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so"),
    Path("/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so"),
    Path("/usr/local/lib/softhsm/libsofthsm2.so"),
)
_INSTALL_HINT = "install the Debian package 'softhsm2' (apt-get install -y softhsm2)"


def find_softhsm_library() -> Path:
    configured = os.environ.get("SOFTHSM2_LIBRARY")
    candidates = (Path(configured),) if configured else SOFTHSM_LIBRARY_PATHS
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise KeySourceError(
        f"SoftHSM2 PKCS#11 module not found (looked at {', '.join(map(str, candidates))}); "
        + _INSTALL_HINT
    )


@dataclass(frozen=True)
class SoftHSMToken:
    library: Path
    config_path: Path
    token_label: str
    key_label: str
    user_pin: str = field(repr=False)

    def key_source(self) -> KeySourceConfig:
        return KeySourceConfig(
            kind="pkcs11",
            pkcs11_library=self.library,
            token_label=self.token_label,
            user_pin=self.user_pin,
            key_label=self.key_label,
        )


def _softhsm_util(args: list[str], env: dict[str, str]) -> None:
    tool = shutil.which("softhsm2-util")
    if tool is None:
        raise KeySourceError("softhsm2-util not found; " + _INSTALL_HINT)
    # The argv carries PINs of a throwaway token; output is checked, never logged.
    result = subprocess.run([tool, *args], env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise KeySourceError(f"softhsm2-util {args[0]} failed: {result.stderr.strip()}")


def _store_certificates(
    token: SoftHSMToken, certificate: x509.Certificate, ca_certificates: Iterable[x509.Certificate]
) -> None:
    import pkcs11
    from pkcs11 import Attribute, CertificateType, ObjectClass

    library = pkcs11.lib(str(token.library))
    # SoftHSM only sees tokens that existed at C_Initialize; the token was just
    # created by softhsm2-util in another process.
    library.reinitialize()
    slot_token = library.get_token(token_label=token.token_label)
    with slot_token.open(rw=True, user_pin=token.user_pin) as session:
        labelled = [(token.key_label, b"\x01", certificate)]
        labelled += [(f"ca-{n}", bytes([n + 2]), ca) for n, ca in enumerate(ca_certificates)]
        for label, object_id, cert in labelled:
            session.create_object(
                {
                    Attribute.CLASS: ObjectClass.CERTIFICATE,
                    Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
                    Attribute.TOKEN: True,
                    Attribute.PRIVATE: False,
                    Attribute.LABEL: label,
                    Attribute.ID: object_id,
                    Attribute.SUBJECT: cert.subject.dump(),
                    Attribute.ISSUER: cert.issuer.dump(),
                    Attribute.SERIAL_NUMBER: cert["tbs_certificate"]["serial_number"].dump(),
                    Attribute.VALUE: cert.dump(),
                }
            )


def provision_softhsm_token(
    directory: Path,
    *,
    private_key_pkcs8_der: bytes,
    certificate: x509.Certificate,
    ca_certificates: Iterable[x509.Certificate] = (),
    token_label: str = "dvc-agency",  # noqa: S107 -- a label, not a secret
    key_label: str = "agency",
) -> SoftHSMToken:
    """Create a fresh token under ``directory`` holding the agency key and certificates.

    Sets ``SOFTHSM2_CONF`` for this process: SoftHSM reads its configuration from
    the environment when the module is initialised, there is no other way to
    point it at a token directory.
    """
    library = find_softhsm_library()
    token_dir = directory / "tokens"
    token_dir.mkdir(parents=True, exist_ok=True)
    config_path = directory / "softhsm2.conf"
    config_path.write_text(
        f"directories.tokendir = {token_dir}\nobjectstore.backend = file\nlog.level = ERROR\n"
    )
    os.environ["SOFTHSM2_CONF"] = str(config_path)
    env = {**os.environ, "SOFTHSM2_CONF": str(config_path)}
    token = SoftHSMToken(
        library, config_path, token_label, key_label, user_pin=secrets.token_hex(4)
    )
    so_pin = secrets.token_hex(4)
    _softhsm_util(
        [
            "--init-token",
            "--free",
            "--label",
            token_label,
            "--so-pin",
            so_pin,
            "--pin",
            token.user_pin,
        ],
        env,
    )
    key_file = directory / "import.key.pem"
    key_file.touch(mode=0o600)
    key_file.write_bytes(pem.armor("PRIVATE KEY", private_key_pkcs8_der))
    try:
        _softhsm_util(
            [
                "--import",
                str(key_file),
                "--token",
                token_label,
                "--label",
                key_label,
                "--id",
                "01",
                "--pin",
                token.user_pin,
            ],
            env,
        )
    finally:
        # The key now lives only in the token.
        key_file.unlink()
    _store_certificates(token, certificate, ca_certificates)
    return token
