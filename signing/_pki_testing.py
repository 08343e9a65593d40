"""A throwaway test PKI served over real HTTP on 127.0.0.1 (tests, bench and demo only).

certomancer builds the hierarchy (root CA -> issuing CA for agencies, OCSP
responder, TSA) from keys generated here, and its "animator" WSGI app serves
the RFC 3161 TSA, the OCSP responder and the CRLs from a werkzeug server in a
background thread. Certificate URLs (CRL distribution points, OCSP) point at
that server, so revocation checking goes over the wire like in production.

Private keys are written only below the directory the caller provides (a
pytest tmp dir); nothing here belongs in the repository.
"""

from __future__ import annotations

import secrets
import socket
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from wsgiref.types import StartResponse, WSGIEnvironment

from asn1crypto import x509  # type: ignore[import-untyped]
from certomancer.integrations.animator import Animator, AnimatorArchStore
from certomancer.registry import CertificateSpec, CertLabel, PKIArchitecture
from certomancer.registry.config import CertomancerConfig
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from ._models import KeySourceConfig, TrustConfig

__all__ = ["AGENCY_LABELS", "TestPKI", "closed_loopback_url", "running_test_pki", "sample_pdf"]

ARCH = "dvc-test"
# Agency certificates the tests sign with; all but the first are unusable on purpose.
AGENCY_LABELS = ("agency", "agency-expired", "agency-not-yet-valid", "agency-revoked", "agency-hsm")
_RSA_KEYS = ("agency", "agency-hsm")
_EC_KEYS = ("root", "interm", "interm-ocsp", "tsa")

WsgiApp = Callable[[WSGIEnvironment, StartResponse], Iterable[bytes]]
#: A fragment of certomancer's configuration (its YAML schema, as dicts): handed to it, never read.
_ConfigPart = dict[str, object]


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S+0000")


def _validity(start: datetime, end: datetime) -> dict[str, str]:
    return {"valid-from": _stamp(start), "valid-to": _stamp(end)}


def _key_usage(*usages: str) -> _ConfigPart:
    return {
        "id": "key_usage",
        "critical": True,
        "smart-value": {"schema": "key-usage", "params": list(usages)},
    }


def _crl_points(repo: str) -> _ConfigPart:
    return {
        "id": "crl_distribution_points",
        "smart-value": {"schema": "crl-dist-url", "params": {"crl-repo-names": [repo]}},
    }


def _architecture(now: datetime) -> _ConfigPart:
    day, year = timedelta(days=1), timedelta(days=365)
    ca_usage = _key_usage("digital_signature", "key_cert_sign", "crl_sign")
    agency_extensions = [
        _key_usage("digital_signature", "non_repudiation"),
        _crl_points("interm"),
        {
            "id": "authority_information_access",
            "smart-value": {
                "schema": "aia-urls",
                "params": {
                    "ocsp-responder-names": ["interm"],
                    "ca-issuer-links": [{"repo": "interm"}],
                },
            },
        },
    ]
    agency_org = {"organization-name": "UBND tỉnh Thử Nghiệm", "country-name": "VN"}
    return {
        "keyset": ARCH,
        "entity-defaults": {"country-name": "VN", "organization-name": "Test Government PKI"},
        "entities": {
            "root": {"common-name": "Test Root CA"},
            "interm": {"common-name": "Test Issuing CA for Agencies"},
            "interm-ocsp": {"common-name": "Test OCSP Responder"},
            "tsa": {"common-name": "Test Time-Stamping Authority"},
            "agency": {**agency_org, "common-name": "Sở Tư pháp (test)"},
            "agency-expired": {**agency_org, "common-name": "Sở Tư pháp (expired)"},
            "agency-not-yet-valid": {**agency_org, "common-name": "Sở Tư pháp (future)"},
            "agency-revoked": {**agency_org, "common-name": "Sở Tư pháp (revoked)"},
            "agency-hsm": {**agency_org, "common-name": "Sở Tư pháp (token)"},
        },
        "certs": {
            "root": {
                "subject": "root",
                "issuer": "root",
                "validity": _validity(now - 3 * year, now + 20 * year),
                "extensions": [
                    {"id": "basic_constraints", "critical": True, "value": {"ca": True}},
                    ca_usage,
                ],
            },
            "interm": {
                "issuer": "root",
                "validity": _validity(now - 3 * year, now + 10 * year),
                "extensions": [
                    {
                        "id": "basic_constraints",
                        "critical": True,
                        "value": {"ca": True, "path-len-constraint": 0},
                    },
                    ca_usage,
                    _crl_points("root"),
                ],
            },
            "interm-ocsp": {
                "issuer": "interm",
                "validity": _validity(now - year, now + 5 * year),
                "extensions": [
                    _key_usage("digital_signature"),
                    {"id": "extended_key_usage", "critical": True, "value": ["ocsp_signing"]},
                    {"id": "ocsp_no_check"},
                ],
            },
            "tsa": {
                "issuer": "root",
                "validity": _validity(now - year, now + 5 * year),
                "extensions": [
                    _key_usage("digital_signature"),
                    {"id": "extended_key_usage", "critical": True, "value": ["time_stamping"]},
                    _crl_points("root"),
                ],
            },
            "agency": {
                "issuer": "interm",
                "validity": _validity(now - day, now + year),
                "extensions": agency_extensions,
            },
            "agency-expired": {
                "template": "agency",
                "subject": "agency-expired",
                "subject-key": "agency",
                "validity": _validity(now - 2 * year, now - year),
            },
            "agency-not-yet-valid": {
                "template": "agency",
                "subject": "agency-not-yet-valid",
                "subject-key": "agency",
                "validity": _validity(now + year, now + 2 * year),
            },
            "agency-revoked": {
                "template": "agency",
                "subject": "agency-revoked",
                "subject-key": "agency",
                "revocation": {
                    "revoked-since": _stamp(now - timedelta(hours=1)),
                    "reason": "key_compromise",
                },
            },
            "agency-hsm": {
                "template": "agency",
                "subject": "agency-hsm",
                "subject-key": "agency-hsm",
            },
        },
        "services": {
            "ocsp": {
                "interm": {
                    "for-issuer": "interm",
                    "responder-cert": "interm-ocsp",
                    "signing-key": "interm-ocsp",
                }
            },
            "crl-repo": {
                "root": {
                    "for-issuer": "root",
                    "signing-key": "root",
                    "simulated-update-schedule": "P1D",
                },
                "interm": {
                    "for-issuer": "interm",
                    "signing-key": "interm",
                    "simulated-update-schedule": "P1D",
                },
            },
            "cert-repo": {
                "root": {"for-issuer": "root", "publish-issued-certs": True},
                "interm": {"for-issuer": "interm", "publish-issued-certs": False},
            },
            "time-stamping": {"tsa": {"signing-key": "tsa", "signing-cert": "tsa"}},
        },
    }


def _write_keys(key_dir: Path) -> None:
    key_dir.mkdir(parents=True, exist_ok=True)
    for label in _RSA_KEYS + _EC_KEYS:
        private_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
        if label in _RSA_KEYS:
            private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        else:
            private_key = ec.generate_private_key(ec.SECP256R1())
        path = key_dir / f"{label}.key.pem"
        path.write_bytes(
            private_key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        path.chmod(0o600)


class _QuietRequestHandler(WSGIRequestHandler):
    """No per-request access log on stderr: it drowns test and bench output."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


class _LateBoundApp:
    """The server must know its port before certomancer bakes URLs into certificates."""

    def __init__(self) -> None:
        self.app: WsgiApp | None = None

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        assert self.app is not None, "test PKI server started before its architecture was built"
        return self.app(environ, start_response)


@dataclass(frozen=True)
class TestPKI:
    """Handles to a running test PKI; see :func:`running_test_pki`."""

    __test__ = False  # not a pytest test class, despite the name

    directory: Path
    base_url: str
    architecture: PKIArchitecture = field(repr=False)
    pkcs12_password: bytes = field(repr=False)

    @property
    def tsa_url(self) -> str:
        return f"{self.base_url}/{ARCH}/tsa/tsa"

    @property
    def root_cert_path(self) -> Path:
        return self.directory / "root.cert.pem"

    @property
    def ca_chain_path(self) -> Path:
        return self.directory / "ca-chain.pem"

    def pkcs12_path(self, label: str) -> Path:
        return self.directory / "p12" / f"{label}.p12"

    def certificate(self, label: str) -> x509.Certificate:
        cert: x509.Certificate = self.architecture.get_cert(CertLabel(label))
        return cert

    def private_key_pkcs8_der(self, label: str) -> bytes:
        """For importing a key into a test token; never used outside tests."""
        spec: CertificateSpec = self.architecture.get_cert_spec(CertLabel(label))
        der: bytes = self.architecture.key_set.get_private_key(spec.subject_key).dump()
        return der

    def trust_config(self) -> TrustConfig:
        return TrustConfig(trust_anchor_paths=(self.root_cert_path,))

    def pkcs12_key_source(self, label: str = "agency") -> KeySourceConfig:
        return KeySourceConfig(
            kind="pkcs12",
            pkcs12_path=self.pkcs12_path(label),
            pkcs12_password=self.pkcs12_password,
        )


def _export_files(pki: TestPKI) -> None:
    arch = pki.architecture
    pem = "".join(_pem(arch.get_cert(CertLabel(label)).dump()) for label in ("interm", "root"))
    pki.ca_chain_path.write_text(pem)
    pki.root_cert_path.write_text(_pem(arch.get_cert(CertLabel("root")).dump()))
    pki.pkcs12_path("agency").parent.mkdir(exist_ok=True)
    for label in AGENCY_LABELS:
        data = arch.package_pkcs12(
            CertLabel(label),
            certs_to_embed=[CertLabel("interm"), CertLabel("root")],
            password=pki.pkcs12_password,
        )
        pki.pkcs12_path(label).write_bytes(data)
        pki.pkcs12_path(label).chmod(0o600)


def _pem(der: bytes) -> str:
    from asn1crypto import pem

    armored: bytes = pem.armor("CERTIFICATE", der)
    return armored.decode("ascii")


@contextmanager
def running_test_pki(directory: Path) -> Iterator[TestPKI]:
    """Generate keys + certificates under ``directory`` and serve TSA/OCSP/CRL on loopback."""
    directory.mkdir(parents=True, exist_ok=True)
    _write_keys(directory / "keys")
    late_app = _LateBoundApp()
    server: BaseWSGIServer = make_server(
        "127.0.0.1", 0, late_app, threaded=True, request_handler=_QuietRequestHandler
    )
    base_url = f"http://127.0.0.1:{server.server_port}"
    config = CertomancerConfig(
        {
            "external-url-prefix": base_url,
            "keysets": {
                ARCH: {
                    "path-prefix": "keys",
                    "keys": {label: {"path": f"{label}.key.pem"} for label in _RSA_KEYS + _EC_KEYS},
                }
            },
            "pki-architectures": {ARCH: _architecture(datetime.now(UTC))},
        },
        key_search_dir=str(directory),
    )
    architecture = config.get_pki_arch(ARCH)  # type: ignore[arg-type]
    late_app.app = Animator(AnimatorArchStore({ARCH: architecture}), with_web_ui=False)  # type: ignore[dict-item]
    pki = TestPKI(directory, base_url, architecture, secrets.token_hex(8).encode())
    _export_files(pki)
    thread = threading.Thread(target=server.serve_forever, name="test-pki", daemon=True)
    thread.start()
    try:
        yield pki
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def closed_loopback_url(path: str = "/tsa") -> str:
    """URL of a loopback port nothing listens on: a TSA that is down (connection refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}{path}"


def sample_pdf(text: str = "Ket qua giai quyet thu tuc hanh chinh") -> bytes:
    """A small, valid one-page PDF with a correct cross-reference table."""
    content = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref_at,
    )
    return bytes(out)
