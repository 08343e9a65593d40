"""Structured logging (structlog) that never writes personal data or secrets.

Every process calls ``configure_logging()`` once, at its entry point. One handler on the root
logger renders *every* record, structlog's and the standard library's (faust, kafka, uvicorn,
httpx), through the same processor chain, which redacts before anything is rendered:

* the values of personal-data and secret keys (``SENSITIVE_KEYS``), at any depth of the event
  dict, compared case-insensitively and ignoring ``_`` and ``-`` (``HoTen`` is ``ho_ten``):
  every field the Avro contract marks ``"personal": true`` (``PERSONAL_FIELDS``, read from
  ``schemas/*.avsc`` once, at import), the partners' own names for personal fields
  (``PARTNER_PERSONAL_KEYS``: ``ho_ten``, ``SoDienThoai``, ``so_cccd``, ``ngay_sinh`` ...), and
  keys, tokens, passwords;
* personal data inside free text, in any string value including the message and the text of an
  exception (``redact_text``): citizen ID numbers (12 digits), old ID numbers (9 digits),
  passport numbers (a letter and 7 digits), phone numbers (``0``, ``+84`` or ``0084`` and 9-10
  digits, also URL-encoded: ``%2B84``, ``%20``), e-mail addresses (also ``%40``), and the value
  after a sensitive key in query strings, JSON or Python text (``ho_ten=...``, ``"HoTen": "..."``);
* byte strings, as values or as ``b'...'`` literals in text: Avro records carry personal data.

Output: JSON lines when stderr is not a terminal, readable lines on a terminal;
``DVC_LOG_FORMAT=json|console`` forces one. Level from ``DVC_LOG_LEVEL`` (default ``INFO``).
Uncaught exceptions, in any thread, are logged (redacted) instead of printed.
"""

from __future__ import annotations

import json as jsonlib  # configure_logging has a parameter named json
import logging
import os
import re
import sys
import threading
from collections.abc import Iterator, Mapping
from functools import lru_cache
from pathlib import Path
from types import TracebackType
from typing import TextIO

import structlog
from structlog.typing import EventDict, FilteringBoundLogger, Processor, WrappedLogger

__all__ = [
    "CHATTY_LOGGERS",
    "ENV_FORMAT",
    "ENV_LEVEL",
    "PARTNER_PERSONAL_KEYS",
    "PERSONAL_FIELDS",
    "REDACTED",
    "SENSITIVE_KEYS",
    "configure_logging",
    "get_logger",
    "is_sensitive_key",
    "personal_fields",
    "redact_sensitive",
    "redact_text",
]

REDACTED = "[redacted]"
_BYTES_REDACTED = "b'[redacted]'"
_SECRET_KEYS = frozenset(
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
# What the partners call personal fields on their wires and in their files (national portal,
# VNPost, banks, the provincial systems), which reach our logs in error bodies and URLs.
PARTNER_PERSONAL_KEYS = frozenset(
    {
        *("ho_ten", "ho_va_ten", "ten_nguoi_nop", "nguoi_nop", "ten_cong_dan", "chu_ho_so"),
        *("applicant_name", "recipient_name", "receiver_name", "sender_name", "payer_name"),
        *("customer_name", "citizen_name", "nguoi_nhan", "ten_nguoi_nhan", "nguoi_gui"),
        *("dia_chi", "dia_chi_chi_tiet", "dia_chi_thuong_tru", "noi_thuong_tru", "noi_o"),
        *("thuong_tru", "tam_tru", "que_quan", "home_address", "street_address"),
        *("so_dien_thoai", "dien_thoai", "sdt", "di_dong", "mobile", "telephone", "msisdn"),
        *("thu_dien_tu", "e_mail", "payer_email", "payer_phone", "payer_mobile"),
        *("so_cmnd", "so_cccd", "so_giay_to", "so_dinh_danh", "ma_dinh_danh"),
        *("so_ho_chieu", "ho_chieu", "passport", "passport_number", "national_id"),
        *("ngay_sinh", "date_of_birth", "birth_date", "birthday", "dob", "nam_sinh"),
    }
)
SCHEMA_DIR = Path(__file__).resolve().parents[1] / "schemas"


def _walk_fields(node: object) -> Iterator[Mapping[str, object]]:
    """Every field of every record in a schema, nested record types included."""
    if isinstance(node, list):
        for item in node:
            yield from _walk_fields(item)
    elif isinstance(node, Mapping):
        for field in node.get("fields", ()):
            yield field
            yield from _walk_fields(field.get("type"))
        for key in ("items", "values"):
            yield from _walk_fields(node.get(key))
        if isinstance(node.get("type"), Mapping | list):
            yield from _walk_fields(node["type"])


@lru_cache(maxsize=8)
def personal_fields(schema_dir: Path = SCHEMA_DIR) -> frozenset[str]:
    """Names of the fields ``schemas/*.avsc`` marks ``"personal": true``.

    The contract is where a new personal field is declared, so the logs learn it from there. No
    schema at all is an error, not an empty set: redaction would silently be weaker.
    """
    files = sorted(schema_dir.glob("*.avsc"))
    if not files:
        raise RuntimeError(f"no Avro schema in {schema_dir}: cannot tell which fields are personal")
    return frozenset(
        str(field["name"])
        for path in files
        for field in _walk_fields(jsonlib.loads(path.read_text(encoding="utf-8")))
        if field.get("personal") is True
    )


PERSONAL_FIELDS = personal_fields()
SENSITIVE_KEYS = _SECRET_KEYS | PARTNER_PERSONAL_KEYS | PERSONAL_FIELDS


def _squash(key: object) -> str:
    return str(key).replace("_", "").replace("-", "").casefold()


_SQUASHED_KEYS = frozenset(_squash(key) for key in SENSITIVE_KEYS)


def is_sensitive_key(key: object) -> bool:
    """Whether a value under ``key`` is redacted: case, ``_`` and ``-`` do not matter."""
    return _squash(key) in _SQUASHED_KEYS


# Free-text patterns. A digit run counts only as a whole word (not inside a hex digest or a
# longer number); phones may be grouped with single spaces, dots or hyphens ("0912 345 678").
# A bytes literal (the repr of an Avro record in kafka's DEBUG lines), to the end if truncated.
_BYTES_LITERAL = re.compile(r"""(?<!\w)b(?:'(?:[^'\\]|\\.)*(?:'|$)|"(?:[^"\\]|\\.)*(?:"|$))""")
#: Each pattern with a string it cannot match without ("": none): the e-mail patterns, the
#: costliest (a run of word characters tried at every position), are skipped without an "@".
_FREE_TEXT: tuple[tuple[str, re.Pattern[str]], ...] = (
    # URL-encoded first ("%40", "%2B84", "%20"), before the plain patterns take a fragment.
    ("%40", re.compile(r"[\w.%+-]+%40[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}", re.IGNORECASE)),  # e-mail
    (
        "",
        re.compile(
            r"(?<![\w%])(?:%2B84|\+84|0084|0)(?:%20|\+)?\d(?:(?:%20|\+)?\d){8,9}(?!\w)",
            re.IGNORECASE,
        ),
    ),  # phone, URL-encoded
    ("@", re.compile(r"[\w.%+-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}")),  # e-mail
    ("", re.compile(r"(?<![\w+])(?:\+84[ .-]?|0084|0)\d(?:[ .-]?\d){8,9}(?!\w)")),  # phone
    ("", re.compile(r"(?<!\w)(?<![0-9a-fA-F]{4}-)\d{12}(?!\w)")),  # citizen ID, not a UUID's tail
    ("", re.compile(r"(?<!\w)\d{9}(?!\w)")),  # old ID (CMND)
    # Passport: a capital and 7 digits as a whole word; not next to "-", so not a part of a
    # UUID ("B1234567-...") or of a dossier id.
    ("", re.compile(r"(?<![\w-])[A-Z]\d{7}(?![\w-])")),
)
# "key=value" (query strings, forms) or a quoted key then ":" or "=" (JSON, Python reprs): the
# value is redacted when the key is sensitive. An unquoted value ends at a separator, so a name
# with real spaces keeps its tail here; URL-encoded it is one token.
_KEY_VALUE = re.compile(
    r"""(?P<head>(?P<q>["'])(?P<qkey>[^\W\d][\w-]*)(?P=q)\s*[:=]\s*|(?<![\w-])(?P<key>[^\W\d][\w-]*)=)"""
    r"""(?P<value>"(?:[^"\\]|\\.)*"?|'(?:[^'\\]|\\.)*'?|[^\s&;,"'(){}\[\]<>]*)"""
)


def _redact_key_value(match: re.Match[str]) -> str:
    value = match["value"]
    if not value or not is_sensitive_key(match["qkey"] or match["key"]):
        return match[0]
    quote = value[0] if value[0] in "\"'" else ""
    return f"{match['head']}{quote}{REDACTED}{quote}"


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
    """``text`` with bytes literals, e-mails, phone, citizen ID, old ID and passport numbers, and
    the values of sensitive keys masked."""
    text = _BYTES_LITERAL.sub(_BYTES_REDACTED, text)
    for needed, pattern in _FREE_TEXT:
        if needed in text:
            text = pattern.sub(REDACTED, text)
    return _KEY_VALUE.sub(_redact_key_value, text)


def _redact(value: object) -> object:
    if isinstance(value, str):
        return redact_text(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, bytes | bytearray | memoryview):
        return f"[{len(value)} bytes]"
    if isinstance(value, Mapping):
        return {k: REDACTED if is_sensitive_key(k) else _redact(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return type(value)(_redact(v) for v in value)
    return redact_text(repr(value))  # what the renderers would write, masked


def redact_sensitive(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    """structlog processor: blank out personal data and secrets wherever they appear."""
    for key in list(event_dict):
        if is_sensitive_key(key):
            event_dict[key] = REDACTED
        else:
            event_dict[key] = _redact(event_dict[key])
    return event_dict


def _drop_record_artifacts(
    _logger: WrappedLogger, _method: str, event_dict: EventDict
) -> EventDict:
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
    the time of the record, so a replaced stream (a test runner's capture) is never left stale;
    unless given a stream of its own (a log file, for a process whose console is for people).
    """

    def __init__(self, to: TextIO | None = None) -> None:
        logging.Handler.__init__(self)
        self._to = to

    @property
    def stream(self) -> TextIO:
        return sys.stderr if self._to is None else self._to

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


def configure_logging(
    level: str | None = None, *, json: bool | None = None, to: TextIO | None = None
) -> None:
    """Route structlog and the standard library's records to stderr (or ``to``), redacted.

    ``level`` defaults to ``DVC_LOG_LEVEL`` or ``INFO``; ``json`` to ``DVC_LOG_FORMAT``, else
    JSON lines unless the stream is a terminal. ``CHATTY_LOGGERS`` log from WARNING unless the
    level is DEBUG. Uncaught exceptions (any thread) are logged instead of printed.
    Calling it again replaces the previous set-up.
    """
    number = _level_number(level)
    isatty = getattr(sys.stderr if to is None else to, "isatty", None)
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
    handler = _HubHandler(to)
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


def get_logger(name: str) -> FilteringBoundLogger:
    """A logger of the class ``configure_logging`` makes (``make_filtering_bound_logger``)."""
    logger: FilteringBoundLogger = structlog.get_logger(name)
    return logger
