"""The payment connector: fee payments at ``paygov`` (the national payment platform style) and
``vnpay`` (VNPAY style), exactly once.

* ``BankClient`` — the outbox's partner client (partner ``bank``): PAYMENT_REQUEST creates the
  payment (-> PaymentRequestCreated), PAYMENT_STATUS_QUERY asks for its status (paid ->
  FeePaid), PAYMENT_REFUND refunds (-> PaymentRefunded).
* ``create_ipn_app`` — the callback (IPN) endpoints: verified, fresh, known, right amount ->
  one FeePaid however often and concurrently a callback repeats, acknowledged to the provider
  only after the broker acknowledged.
* ``BankSimulator`` (``PaygovSimulator``, ``VnpaySimulator``) — real HTTP servers speaking both
  protocols, with a ledger, a payment page, faults and reconciliation files.
* ``fee_paid_event_id`` — the FeePaid event id of a provider transaction (both paths agree).

Private modules::

    _config     BankConfig (DVC_BANK_* variables), ProviderSettings, DEV_SECRETS
    _errors     the exception hierarchy below
    _messages   provider-neutral messages (CreatePayment, Callback ...), Result, Status, Outcome
    _dialect    table-driven wire encoding / decoding and checksum verification
    _paygov     paygov: SHA-256 over pipe-joined fields + secret; field orders and codes
    _vnpay      vnpay: HMAC-SHA512 over sorted URL-encoded vnp_* parameters; codes
    _protocols  provider name -> dialect
    _facts      event ids (uuid5) and payloads of FeePaid / PaymentFailed
    _transport  one request/reply with a provider; httpx errors -> Transient / Permanent
    _client     BankClient
    _requests   dvc.payments followed in memory: payment reference -> request
    _settled    <prefix>bank.settled: what the IPN endpoints confirmed or failed, once
    _locks      per-reference asyncio locks
    _metrics    Prometheus metrics of the IPN endpoints
    _params     a callback's parameters read from the request (caps, JSON, form, query)
    _ipn        the IPN app and its order of checks
    _serve      serve_ipn: secrets, TLS / mutual TLS (DVC_BANK_CLIENT_CA_FILE), uvicorn
    _ledger     simulator ledger and the reconciliation CSV
    _sim        the simulators: API, payment page, ledger levers
    _sim_ipn    their callbacks (IPN) to the hub, SimulatorFaults
    _spec       SPEC: the providers as a PartnerSpec (connectors.partners)
    __main__    python -m connectors.bank ipn | simulator paygov|vnpay --port N --ipn-url URL

Exceptions::

    BankError                 anything this package refuses
    ├── UnknownProvider       a provider name the configuration does not know
    └── InvalidMessage        a provider message that cannot be trusted or read
        ├── MalformedMessage  a field missing, of the wrong type, or not parseable
        └── BadSignature      the checksum / secure hash does not verify

``BankClient.call`` raises only ``connectors.outbox`` errors (``Transient``, ``Permanent``);
the IPN endpoints answer every refusal with the provider's code.
"""

from __future__ import annotations

from connectors.bank._client import (
    PAYMENT_REFUND,
    PAYMENT_REQUEST,
    PAYMENT_STATUS_QUERY,
    BankClient,
)
from connectors.bank._config import (
    DEV_SECRETS,
    PROVIDERS,
    BankConfig,
    ProviderName,
    ProviderSettings,
)
from connectors.bank._dialect import Dialect
from connectors.bank._errors import (
    BadSignature,
    BankError,
    InvalidMessage,
    MalformedMessage,
    UnknownProvider,
)
from connectors.bank._facts import fee_paid_event_id, payment_failed_event_id
from connectors.bank._ipn import create_ipn_app
from connectors.bank._ledger import (
    RECONCILIATION_HEADER,
    CallbackDelivery,
    Ledger,
    ReconciliationRow,
)
from connectors.bank._messages import (
    Callback,
    CreatePayment,
    CreateReply,
    Outcome,
    QueryPayment,
    QueryReply,
    RefundPayment,
    RefundReply,
    Result,
    Status,
)
from connectors.bank._paygov import PaygovDialect, paygov_checksum
from connectors.bank._protocols import dialect_for
from connectors.bank._serve import CLIENT_CA_VARIABLE, serve_ipn
from connectors.bank._settled import SETTLED_SUFFIX, settled_topic
from connectors.bank._sim import BankSimulator, PaygovSimulator, VnpaySimulator
from connectors.bank._sim_ipn import SimulatorFaults
from connectors.bank._vnpay import VnpayDialect, vnpay_hash_data, vnpay_secure_hash

__all__ = [
    "CLIENT_CA_VARIABLE",
    "DEV_SECRETS",
    "PAYMENT_REFUND",
    "PAYMENT_REQUEST",
    "PAYMENT_STATUS_QUERY",
    "PROVIDERS",
    "RECONCILIATION_HEADER",
    "SETTLED_SUFFIX",
    "BadSignature",
    "BankClient",
    "BankConfig",
    "BankError",
    "BankSimulator",
    "Callback",
    "CallbackDelivery",
    "CreatePayment",
    "CreateReply",
    "Dialect",
    "InvalidMessage",
    "Ledger",
    "MalformedMessage",
    "Outcome",
    "PaygovDialect",
    "PaygovSimulator",
    "ProviderName",
    "ProviderSettings",
    "QueryPayment",
    "QueryReply",
    "ReconciliationRow",
    "RefundPayment",
    "RefundReply",
    "Result",
    "SimulatorFaults",
    "Status",
    "UnknownProvider",
    "VnpayDialect",
    "VnpaySimulator",
    "create_ipn_app",
    "dialect_for",
    "fee_paid_event_id",
    "paygov_checksum",
    "payment_failed_event_id",
    "serve_ipn",
    "settled_topic",
    "vnpay_hash_data",
    "vnpay_secure_hash",
]
