"""Personal data and secrets never reach a log line, whoever logs it, in either output format."""

from __future__ import annotations

import json
import logging
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import structlog

from hub.logs import CHATTY_LOGGERS, REDACTED, configure_logging, get_logger, redact_text
from hub.sample import sample_events

CITIZEN_ID = "079187000123"
OLD_ID = "361234567"
PHONES = ("0912345678", "02963841234", "+84912000111", "0912 345 678", "0912.345.678")
EMAIL = "my.hanh.truong@example.vn"


@pytest.fixture(autouse=True)
def _restore_logging(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test configures logging from scratch; the process's set-up is restored after it."""
    monkeypatch.delenv("DVC_LOG_LEVEL", raising=False)
    monkeypatch.delenv("DVC_LOG_FORMAT", raising=False)
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    chatty = {name: logging.getLogger(name).level for name in CHATTY_LOGGERS}
    hooks = sys.excepthook, threading.excepthook
    yield
    sys.excepthook, threading.excepthook = hooks
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, old in chatty.items():
        logging.getLogger(name).setLevel(old)
    structlog.reset_defaults()


def _lines(capsys: pytest.CaptureFixture[str]) -> list[str]:
    return [line for line in capsys.readouterr().err.splitlines() if line.strip()]


def _records(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in _lines(capsys)]


def test_personal_data_is_redacted_at_any_depth(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(json=True)
    event = next(iter(sample_events(1)))
    applicant = event["payload"][1]["applicant"]
    get_logger("test").info(
        "dossier received",
        dossier_id=event["dossier_id"],
        payload=event["payload"][1],
        headers={"X-API-Key": "portal-secret-key", "accept": "application/json"},
        phone=applicant["phone"],
        batch=[({"Authorization": "Bearer abc.def"},), [{"meta": {"Email": EMAIL}}]],
    )
    line = _lines(capsys)[-1]
    record = json.loads(line)
    for secret in (
        applicant["id_number"],
        applicant["phone"],
        applicant["address"]["line"],
        "portal-secret-key",
        "Bearer abc.def",
        EMAIL,
    ):
        assert secret not in line
    assert record["payload"]["applicant"] == REDACTED
    assert record["headers"]["X-API-Key"] == REDACTED
    assert record["headers"]["accept"] == "application/json"
    assert record["batch"] == [[{"Authorization": REDACTED}], [{"meta": {"Email": REDACTED}}]]
    assert record["dossier_id"] == event["dossier_id"]
    assert record["payload"]["procedure_code"] == event["payload"][1]["procedure_code"]


def test_ids_phones_and_emails_in_free_text_are_masked(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging(json=True)
    text = f"công dân CCCD {CITIZEN_ID}, CMND {OLD_ID}, e-mail {EMAIL}, gọi " + " / ".join(PHONES)
    log = get_logger("test")
    log.info(text, note=f"hồ sơ của {EMAIL}", nested={"why": [f"tel:{PHONES[0]}"]})
    try:
        raise ValueError(f"bad applicant {CITIZEN_ID} <{EMAIL}>")
    except ValueError:
        log.exception("could not map")
    lines = "\n".join(_lines(capsys))
    for secret in (CITIZEN_ID, OLD_ID, EMAIL, *PHONES):
        assert secret not in lines
    first, failure = (json.loads(line) for line in lines.splitlines())
    masked = f"công dân CCCD {REDACTED}, CMND {REDACTED}, e-mail {REDACTED}, gọi {REDACTED} / "
    assert first["event"].startswith(masked)
    assert first["note"] == f"hồ sơ của {REDACTED}"
    assert first["nested"] == {"why": [f"tel:{REDACTED}"]}
    assert failure["exception"].endswith(f"ValueError: bad applicant {REDACTED} <{REDACTED}>")


def test_identifiers_that_are_not_personal_data_are_kept() -> None:
    kept = (
        "event 550e8400-e29b-41d4-a716-446655440000 of HS-UBND-LX-250303-000042",
        "sha256 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "at 2025-03-03T08:00:00.123456+07:00, offset 1234567890, ts 1741000000123",
        "procedure 1.001612, 75000 VND, took 12.5 ms",
    )
    for text in kept:
        assert redact_text(text) == text


def test_bytes_are_never_rendered(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(json=True)
    avro = "\x00\x02Trần Hưng Đạo 0912345678".encode()
    get_logger("test").info("raw", value=avro)
    logging.getLogger("kafka.producer").warning("Sending (key=%r value=%r)", b"HS-1", avro)
    logging.getLogger("kafka.conn").warning("records=bytearray(%r", avro[:9])  # truncated repr
    lines = _lines(capsys)
    assert json.loads(lines[0])["value"] == f"[{len(avro)} bytes]"
    assert json.loads(lines[1])["event"] == "Sending (key=b'[redacted]' value=b'[redacted]')"
    assert json.loads(lines[2])["event"] == "records=bytearray(b'[redacted]'"
    assert "Tr" not in "".join(lines[1:])


def test_standard_library_records_go_through_the_same_chain(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging(json=True)
    foreign = logging.getLogger("uvicorn.access")
    foreign.info(
        '%s - "%s %s HTTP/%s" %d',
        "127.0.0.1:5000", "GET", f"/v1/dossiers?phone={PHONES[0]}", "1.1", 200,
        extra={"color_message": "\x1b[1m...", "applicant": {"id_number": CITIZEN_ID}},
    )  # fmt: skip
    try:
        raise KeyError("x")
    except KeyError:
        logging.getLogger("faust.agent").exception("agent crashed on %s", EMAIL)
    access, crash = _records(capsys)
    assert access == {
        "event": f'127.0.0.1:5000 - "GET /v1/dossiers?phone={REDACTED} HTTP/1.1" 200',
        "logger": "uvicorn.access",
        "level": "info",
        "timestamp": access["timestamp"],
        "applicant": REDACTED,
    }
    assert crash["event"] == f"agent crashed on {REDACTED}"
    assert crash["level"] == "error"
    assert "KeyError" in crash["exception"]


def test_json_or_console_by_argument_environment_or_terminal(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def one_line() -> str:
        get_logger("fmt").info("hello", phone=PHONES[0], n=3)
        (line,) = _lines(capsys)
        return line

    configure_logging()  # stderr is captured, not a terminal: JSON lines
    assert json.loads(one_line())["event"] == "hello"
    configure_logging(json=False)
    console = one_line()
    assert "hello" in console
    assert f"phone={REDACTED}" in console
    assert "n=3" in console
    with pytest.raises(json.JSONDecodeError):
        json.loads(console)
    monkeypatch.setenv("DVC_LOG_FORMAT", "console")
    configure_logging()
    assert not one_line().startswith("{")
    monkeypatch.setenv("DVC_LOG_FORMAT", "json")
    configure_logging()
    assert json.loads(one_line())["phone"] == REDACTED
    monkeypatch.setenv("DVC_LOG_FORMAT", "yaml")
    with pytest.raises(ValueError, match="DVC_LOG_FORMAT"):
        configure_logging()


def test_level_from_argument_or_environment(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def emitted() -> list[str]:
        for name in ("app", "kafka.conn"):
            get_logger(name).debug("d")
            logging.getLogger(name).info("i")
            logging.getLogger(name).warning("w")
        return [f"{r['logger']}:{r['event']}" for r in _records(capsys)]

    configure_logging(json=True)  # INFO; chatty libraries from WARNING
    assert emitted() == ["app:i", "app:w", "kafka.conn:w"]
    monkeypatch.setenv("DVC_LOG_LEVEL", "debug")
    configure_logging(json=True)
    assert emitted() == ["app:d", "app:i", "app:w", "kafka.conn:d", "kafka.conn:i", "kafka.conn:w"]
    configure_logging("ERROR", json=True)  # the argument wins over the environment
    assert emitted() == []
    assert len([h for h in logging.getLogger().handlers if "Hub" in type(h).__name__]) == 1
    with pytest.raises(ValueError, match="log level"):
        configure_logging("LOUD")


def test_uncaught_exceptions_are_logged_redacted(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "excepthook", sys.__excepthook__)  # as in a process of our own,
    monkeypatch.setattr(threading, "excepthook", threading.__excepthook__)  # not under pytest
    configure_logging(json=True)

    def fail() -> None:
        raise RuntimeError(f"cannot map applicant {CITIZEN_ID}")

    worker = threading.Thread(target=fail, name="mapper")
    worker.start()
    worker.join()
    try:
        raise LookupError(f"no dossier for {EMAIL}")
    except LookupError as exc:
        sys.excepthook(type(exc), exc, exc.__traceback__)
    in_thread, in_main = _records(capsys)
    assert in_thread["event"] == "uncaught exception in thread mapper"
    assert in_thread["exception"].endswith(f"RuntimeError: cannot map applicant {REDACTED}")
    assert in_main["level"] == "critical"
    assert in_main["exception"].endswith(f"LookupError: no dossier for {REDACTED}")
