"""Structured logging (structlog) that never writes personal data or secrets.

Every process calls ``configure_logging()`` once, at its entry point. One handler on the root
logger renders *every* record, structlog's and the standard library's (faust, kafka, uvicorn,
httpx), through the same processor chain, which redacts before anything is rendered:

* the values of personal-data and secret keys (``SENSITIVE_KEYS``), at any depth of the event
  dict: citizen identity numbers, phones, e-mails, addresses (DOMAIN.md), keys, tokens, passwords;
* personal data inside free text, in any string value including the message and the text of an
  exception: citizen ID numbers (12 digits), old ID numbers (9 digits), phone numbers (``0`` or
  ``+84`` and 9-10 digits) and e-mail addresses (``redact_text``);
* byte strings, as values or as ``b'...'`` literals in text: Avro records carry personal data.

Output: JSON lines when stderr is not a terminal, readable lines on a terminal;
``DVC_LOG_FORMAT=json|console`` forces one. Level from ``DVC_LOG_LEVEL`` (default ``INFO``).
Uncaught exceptions, in any thread, are logged (redacted) instead of printed.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import threading
from collections.abc import Mapping, MutableMapping
from types import TracebackType
from typing import Any, TextIO

import structlog
from structlog.typing import Processor

__all__ = [
    "CHATTY_LOGGERS",
    "ENV_FORMAT",
    "ENV_LEVEL",
    "REDACTED",
    "SENSITIVE_KEYS",
    "configure_logging",
    "get_logger",
    "redact_sensitive",
    "redact_text",
]

REDACTED = "[redacted]"
_BYTES_REDACTED = "b'[redacted]'"
SENSITIVE_KEYS = frozenset(
    {
        "id_number",
        "citizen_id",
        "cccd",
        "cmnd",
        "full_name",
        "phone",
        "phone_number",
        "email",
        "address",
        "applicant",
        "sender",
        "receiver",
        "api_key",
        "x-api-key",
        "authorization",
        "cookie",
        "password",
        "secret",
        "token",
        "pin",
        "private_key",
        "checksum_secret",
    }
)

# Free-text patterns. A digit run counts only as a whole word (not inside a hex digest or a
# longer number); phones may be grouped with single spaces, dots or hyphens ("0912 345 678").
# A bytes literal (the repr of an Avro record in kafka's DEBUG lines), to the end if truncated.
_BYTES_LITERAL = re.compile(r"""(?<!\w)b(?:'(?:[^'\\]|\\.)*(?:'|$)|"(?:[^"\\]|\\.)*(?:"|$))""")
_FREE_TEXT = (
    re.compile(r"[\w.%+-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}"),  # e-mail
    re.compile(r"(?<![\w+])(?:\+84[ .-]?|0084|0)\d(?:[ .-]?\d){8,9}(?!\w)"),  # phone
    re.compile(r"(?<!\w)(?<![0-9a-fA-F]{4}-)\d{12}(?!\w)"),  # citizen ID, not a UUID's tail
    re.compile(r"(?<!\w)\d{9}(?!\w)"),  # old ID (CMND)
)

#: Libraries that log every connection or request at INFO: WARNING and up unless level is DEBUG.
CHATTY_LOGGERS = ("kafka", "aiokafka", "httpx", "httpcore")
#: Their consumer-group coordinators log joins, assignments and revocations at INFO, a few lines
#: per rebalance: kept at the hub's level, since they say what each worker is doing after a kill.
GROUP_LOGGERS = ("kafka.coordinator", "aiokafka.consumer.group_coordinator")
ENV_LEVEL = "DVC_LOG_LEVEL"
ENV_FORMAT = "DVC_LOG_FORMAT"
# Attributes a foreign record may carry that are not data: set by another handler's formatter
# ("message", "asctime"), or uvicorn's ANSI copy of the message.
_RECORD_ARTIFACTS = ("message", "asctime", "color_message")


def redact_text(text: str) -> str:
    """``text`` with bytes literals, e-mails, phone numbers, citizen and old ID numbers masked."""
    text = _BYTES_LITERAL.sub(_BYTES_REDACTED, text)
    for pattern in _FREE_TEXT:
        text = pattern.sub(REDACTED, text)
    return text


def _redact(value: Any) -> Any:
    if isinstance(value, str):
        return redact_text(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, bytes | bytearray | memoryview):
        return f"[{len(value)} bytes]"
    if isinstance(value, Mapping):
        return {
            k: REDACTED if str(k).lower() in SENSITIVE_KEYS else _redact(v)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        return type(value)(_redact(v) for v in value)
    return redact_text(repr(value))  # what the renderers would write, masked


def redact_sensitive(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: blank out personal data and secrets wherever they appear."""
    for key in list(event_dict):
        if key.lower() in SENSITIVE_KEYS:
            event_dict[key] = REDACTED
        else:
            event_dict[key] = _redact(event_dict[key])
    return event_dict


def _drop_record_artifacts(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    for key in _RECORD_ARTIFACTS:
        event_dict.pop(key, None)
    return event_dict


def _level_number(level: str | None) -> int:
    name = (level or os.environ.get(ENV_LEVEL) or "INFO").strip().upper()
    number = logging.getLevelNamesMapping().get(name)
    if number is None:
        raise ValueError(f"unknown log level {name!r}")
    return number


def _wants_json(json: bool | None, tty: bool) -> bool:
    if json is not None:
        return json
    forced = os.environ.get(ENV_FORMAT, "").strip().lower()
    if forced in ("json", "console"):
        return forced == "json"
    if forced:
        raise ValueError(f"{ENV_FORMAT} must be 'json' or 'console', not {forced!r}")
    return not tty


class _HubHandler(logging.StreamHandler[TextIO]):
    """The one root handler ``configure_logging`` installs (and replaces when called again).

    Like the standard library's last-resort handler it writes to whatever ``sys.stderr`` is at
    the time of the record, so a replaced stream (a test runner's capture) is never left stale.
    """

    def __init__(self) -> None:
        logging.Handler.__init__(self)

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        """``setStream`` and the base class may assign; the handler keeps following stderr."""


def _log_uncaught(
    kind: type[BaseException], value: BaseException, traceback: TracebackType | None
) -> None:
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, value, traceback)
        return
    logging.getLogger("uncaught").critical("uncaught exception", exc_info=(kind, value, traceback))


def _log_uncaught_in_thread(args: threading.ExceptHookArgs) -> None:
    if args.exc_value is None or issubclass(args.exc_type, SystemExit):
        return
    name = args.thread.name if args.thread is not None else "?"
    logging.getLogger("uncaught").error(
        "uncaught exception in thread %s",
        name,
        exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
    )


def configure_logging(level: str | None = None, *, json: bool | None = None) -> None:
    """Route structlog and the standard library's records to stderr, redacted.

    ``level`` defaults to ``DVC_LOG_LEVEL`` or ``INFO``; ``json`` to ``DVC_LOG_FORMAT``, else
    JSON lines unless stderr is a terminal. ``CHATTY_LOGGERS`` log from WARNING unless the
    level is DEBUG. Uncaught exceptions (any thread) are logged instead of printed.
    Calling it again replaces the previous set-up.
    """
    number = _level_number(level)
    isatty = getattr(sys.stderr, "isatty", None)
    tty = bool(callable(isatty) and isatty())
    renderer: Processor = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if _wants_json(json, tty)
        else structlog.dev.ConsoleRenderer(
            colors=tty, exception_formatter=structlog.dev.plain_traceback
        )
    )
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.add_log_level,
        structlog.stdlib.PositionalArgumentsFormatter(),
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    handler = _HubHandler()
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[*shared, structlog.stdlib.ExtraAdder(), _drop_record_artifacts],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,  # exception text is redacted too
                redact_sensitive,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _HubHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(number)
    for name in CHATTY_LOGGERS:
        quiet = logging.NOTSET if number <= logging.DEBUG else max(number, logging.WARNING)
        logging.getLogger(name).setLevel(quiet)
    for name in GROUP_LOGGERS:  # their parents are quiet: an explicit level, not NOTSET
        logging.getLogger(name).setLevel(logging.NOTSET if number <= logging.DEBUG else number)
    # A server configured before us (uvicorn's default dictConfig) gives its loggers their own
    # handlers and stops propagation: their records would bypass redaction. Route them to root.
    for name in ("uvicorn", "uvicorn.access", "uvicorn.error"):
        server = logging.getLogger(name)
        server.handlers.clear()
        server.propagate = True
        server.setLevel(logging.NOTSET)
    # Tracebacks of uncaught exceptions are log records too, redacted like the others (unless
    # someone else, a test runner say, replaced the interpreter's printers already).
    if sys.excepthook is sys.__excepthook__:
        sys.excepthook = _log_uncaught
    if threading.excepthook is threading.__excepthook__:
        threading.excepthook = _log_uncaught_in_thread
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        wrapper_class=structlog.make_filtering_bound_logger(number),
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=False,
    )


def get_logger(name: str) -> Any:
    return structlog.get_logger(name)
