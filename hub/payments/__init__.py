"""Fee payments (issue #11): requests, callbacks' outcomes, status queries, refunds, reconciliation.

``dossier.events`` -> ``PaymentsProcessor`` (a ``hub.processing`` fold with durable timers) ->
``payments`` table -> ``<prefix>payments`` (each dossier's PaymentState, compacted: the bank
connector's callbacks look requests up there by payment reference) and PartnerCommands on
``<prefix>partner.commands``:

    FeeRequested (status 6)                  -> Payment REQUESTED + PaymentRequest
    PaymentRequestCreated / PaymentFailed    -> CREATED (with the payment URL) / FAILED
    FeePaid                                  -> PAID (another transaction: paid_count 2)
    no FeePaid ``DVC_PAYMENT_QUERY_AFTER``    -> PaymentStatusQuery 1, 2, ... (timer, backoff)
    refused / stopped / withdrawn after PAID -> REFUND_REQUESTED + PaymentRefund
    PaymentRefunded                          -> REFUNDED

Reconciliation compares a provider's daily file with the states (``reconcile``, pure) and
publishes each mismatch to ``<prefix>payments.reconciliation`` (``run_reconciliation``);
``render_report`` prints the report as a table, CSV or JSON.

* ``PaymentsProcessor``, and ``SPEC``: it live (``dvchub worker payments``).
* ``apply_event`` / ``query_due`` / ``next_due``: the rules; ``payment_reference``,
  ``refund_reference``, ``command_id``, ``status_query_id``: the derived ids.
* ``PaymentSettings`` (``DVC_PAYMENT_*``), ``AccountBook``, ``QueryPolicy``, ``PaymentPolicy``.
* ``parse_statement`` / ``read_statement``, ``reconcile``, ``run_reconciliation``,
  ``render_report`` / ``write_csv`` / ``as_json`` / ``report_tables``.

Exceptions (everything raised from this package is a ``PaymentsError``)::

    PaymentsError
    ├── ConfigError            bad payments configuration (accounts file, query policy)
    ├── StatementError         a reconciliation file that cannot be read at all
    └── ReconciliationFailed   states unreadable, or mismatches not acknowledged by the broker

A bad row of a reconciliation file is a value (``BadRow``, with its line number), an event the
fold cannot read a dead letter (``hub.processing.Reject``); Kafka, registry and OS errors are
translated where they are met, with ``raise ... from exc``.
"""

from hub.payments._app import COMMANDS, SPEC
from hub.payments._config import (
    PROVIDERS,
    AccountBook,
    Beneficiary,
    PaymentPolicy,
    PaymentSettings,
    QueryPolicy,
)
from hub.payments._errors import ConfigError, PaymentsError, ReconciliationFailed, StatementError
from hub.payments._ids import (
    REFERENCE_PATTERN,
    command_id,
    payment_reference,
    refund_reference,
    status_query_id,
)
from hub.payments._processor import PaymentsProcessor
from hub.payments._reconcile import (
    MISMATCH_KINDS,
    Mismatch,
    ReconciliationReport,
    mismatch_id,
    reconcile,
)
from hub.payments._render import (
    CSV_COLUMNS,
    FORMATS,
    Format,
    as_json,
    render_report,
    report_tables,
    write_csv,
)
from hub.payments._rules import (
    OPEN,
    Applied,
    apply_event,
    find_payment,
    new_state,
    next_due,
    query_due,
)
from hub.payments._run import (
    mismatch_records,
    publish_mismatches,
    read_payment_states,
    run_reconciliation,
)
from hub.payments._statement import (
    COLUMNS,
    BadRow,
    Statement,
    StatementRow,
    parse_statement,
    read_statement,
)
from hub.topics import PAYMENT_RECONCILIATION as RECONCILIATION

__all__ = [
    "COLUMNS",
    "COMMANDS",
    "CSV_COLUMNS",
    "FORMATS",
    "MISMATCH_KINDS",
    "OPEN",
    "PROVIDERS",
    "RECONCILIATION",
    "REFERENCE_PATTERN",
    "SPEC",
    "AccountBook",
    "Applied",
    "BadRow",
    "Beneficiary",
    "ConfigError",
    "Format",
    "Mismatch",
    "PaymentPolicy",
    "PaymentSettings",
    "PaymentsError",
    "PaymentsProcessor",
    "QueryPolicy",
    "ReconciliationFailed",
    "ReconciliationReport",
    "Statement",
    "StatementError",
    "StatementRow",
    "apply_event",
    "as_json",
    "command_id",
    "find_payment",
    "mismatch_id",
    "mismatch_records",
    "new_state",
    "next_due",
    "parse_statement",
    "payment_reference",
    "publish_mismatches",
    "query_due",
    "read_payment_states",
    "read_statement",
    "reconcile",
    "refund_reference",
    "render_report",
    "report_tables",
    "run_reconciliation",
    "status_query_id",
    "write_csv",
]
