"""Throwaway signing infrastructure for tests, benchmarks and the demo; never for production.

``running_test_pki(dir)`` serves a test PKI (root CA, agency CA, TSA, OCSP, CRL) on loopback;
``provision_softhsm_token(dir, ...)`` puts a key into a throwaway SoftHSM2 token. Needs the
``signing`` extra (certomancer, werkzeug) and, for tokens, the ``softhsm2`` OS package.
"""

from ._pki_testing import AGENCY_LABELS, TestPKI, closed_loopback_url, running_test_pki, sample_pdf
from ._softhsm import (
    SOFTHSM_LIBRARY_PATHS,
    SoftHSMToken,
    find_softhsm_library,
    provision_softhsm_token,
)

__all__ = [
    "AGENCY_LABELS",
    "SOFTHSM_LIBRARY_PATHS",
    "SoftHSMToken",
    "TestPKI",
    "closed_loopback_url",
    "find_softhsm_library",
    "provision_softhsm_token",
    "running_test_pki",
    "sample_pdf",
]
