"""Signing throughput: CMS, PAdES B-B and B-T (loopback TSA) against raw RSA/ECDSA.

Run standalone: ``python bench/signing.py [--seconds 3]``. It starts the test PKI
(certomancer TSA/OCSP/CRL on 127.0.0.1) in a temp dir, signs with the PKCS#12
agency key (RSA-2048) in bounded loops and prints signatures per second plus
how many times slower each format is than the bare RSA-2048 operation it wraps.
If SoftHSM2 is installed, the same formats are also timed with the key in a token.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

# Run as a script, this file's directory is sys.path[0] and "import signing" would
# import this very file; put the repository root there instead.
_BENCH_DIR = Path(__file__).resolve().parent
sys.path[:] = [str(_BENCH_DIR.parent)] + [
    entry for entry in sys.path if Path(entry or ".").resolve() != _BENCH_DIR
]

from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa  # noqa: E402

from signing import KeySourceConfig, KeySourceError, SignatureLevel, SigningConfig, TimestampConfig  # noqa: E402
from signing._keys import open_key_source  # noqa: E402
from signing._signer import async_sign_with_key  # noqa: E402
from signing._trust import ensure_certificate_usable  # noqa: E402
from signing.testing import (  # noqa: E402
    TestPKI,
    provision_softhsm_token,
    running_test_pki,
    sample_pdf,
)

MAX_ITERATIONS = 20_000


@dataclass(frozen=True)
class Rate:
    name: str
    operations: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.operations / self.seconds


def measure_sync(name: str, operation: Callable[[], object], budget: float) -> Rate:
    operation()  # warm-up, not counted
    count, start = 0, time.perf_counter()
    while count < MAX_ITERATIONS and time.perf_counter() - start < budget:
        operation()
        count += 1
    return Rate(name, count, time.perf_counter() - start)


async def measure_async(
    name: str, operation: Callable[[], Awaitable[object]], budget: float
) -> Rate:
    await operation()
    count, start = 0, time.perf_counter()
    while count < MAX_ITERATIONS and time.perf_counter() - start < budget:
        await operation()
        count += 1
    return Rate(name, count, time.perf_counter() - start)


def raw_rates(budget: float) -> list[Rate]:
    message = b"x" * 1024
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    return [
        measure_sync(
            "raw RSA-2048 (PKCS#1 v1.5, SHA-256)",
            lambda: rsa_key.sign(message, padding.PKCS1v15(), hashes.SHA256()),
            budget,
        ),
        measure_sync(
            "raw ECDSA P-256 (SHA-256)",
            lambda: ec_key.sign(message, ec.ECDSA(hashes.SHA256())),
            budget,
        ),
    ]


async def format_rates(
    pki: TestPKI, key_source: KeySourceConfig, label: str, budget: float
) -> list[Rate]:
    config = SigningConfig(key_source, pki.trust_config(), TimestampConfig(pki.tsa_url))
    pdf = sample_pdf()
    document = b"result document " * 4096  # 64 KiB
    cases = [
        ("CMS detached", document, "application/octet-stream", SignatureLevel.CMS_DETACHED),
        ("PAdES B-B", pdf, "application/pdf", SignatureLevel.PADES_B_B),
        ("PAdES B-T (loopback TSA)", pdf, "application/pdf", SignatureLevel.PADES_B_T),
    ]
    rates = []
    with open_key_source(key_source) as key:
        # Checked once, as a long-running signer would (with a revocation cache).
        await ensure_certificate_usable(key, pki.trust_config())
        for name, data, media_type, level in cases:

            async def sign_once(
                data: bytes = data, media_type: str = media_type, level: SignatureLevel = level
            ) -> object:
                return await async_sign_with_key(
                    data, media_type=media_type, level=level, key=key, config=config
                )

            rates.append(await measure_async(f"{name} [{label}]", sign_once, budget))
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="time budget per case")
    args = parser.parse_args()
    budget = min(max(args.seconds, 0.2), 30.0)

    with (
        tempfile.TemporaryDirectory(prefix="bench-signing-") as temp,
        running_test_pki(Path(temp) / "pki") as pki,
    ):
        rates = raw_rates(budget)
        rates += asyncio.run(format_rates(pki, pki.pkcs12_key_source(), "PKCS#12", budget))
        try:
            token = provision_softhsm_token(
                Path(temp) / "hsm",
                private_key_pkcs8_der=pki.private_key_pkcs8_der("agency-hsm"),
                certificate=pki.certificate("agency-hsm"),
                ca_certificates=[pki.certificate("interm"), pki.certificate("root")],
            )
        except KeySourceError as exc:
            print(f"(SoftHSM rows skipped: {exc})")
        else:
            rates += asyncio.run(format_rates(pki, token.key_source(), "SoftHSM", budget))

    raw_rsa = rates[0].per_second
    print(f"{'operation':<44} {'ops':>7} {'sig/s':>10} {'x slower than raw RSA':>22}")
    for rate in rates:
        ratio = raw_rsa / rate.per_second
        print(f"{rate.name:<44} {rate.operations:>7} {rate.per_second:>10.1f} {ratio:>22.2f}")


if __name__ == "__main__":
    main()
