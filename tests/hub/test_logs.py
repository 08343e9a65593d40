"""Personal data and secrets never reach a log line, whoever logs it, in either output format."""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog

from hub.logs import (
    CHATTY_LOGGERS,
    PERSONAL_FIELDS,
    REDACTED,
    configure_logging,
    get_logger,
    personal_fields,
    redact_sensitive,
    redact_text,
)
from hub.sample import sample_events
from hub.serde import SCHEMA_DIR, load_schema

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
    # Only this test's two records: a client left running by an earlier test may log meanwhile.
    in_thread, in_main = [r for r in _records(capsys) if r.get("logger") == "uncaught"]
    assert in_thread["event"] == "uncaught exception in thread mapper"
    assert in_thread["exception"].endswith(f"RuntimeError: cannot map applicant {REDACTED}")
    assert in_main["level"] == "critical"
    assert in_main["exception"].endswith(f"LookupError: no dossier for {REDACTED}")


# -- personal fields from the Avro contract, partners' names, encoded forms -------------------

_CATALOGUE = "the name of a public procedure or agency, from the catalogue"
_PROCEDURE_NAMES = ("DossierState", "DossierSubmitted", "NationalDossierSync", "RoutingState",
                    "CitizenNotification")  # fmt: skip
_AGENCY_NAMES = ("Procedure", "ProcedureVersion", "DossierDeadline", "RoutingState",
                 "CitizenNotification")  # fmt: skip
#: Schema fields whose name looks personal but which hold no personal data, each with why. A new
#: field that looks personal must be marked ``"personal": true`` or be added here with a reason.
NOT_PERSONAL = {
    "Actor.official_name": "an official acting in office: on the portal's progress page and in "
    "the late list by design",
    "NationalProgressUpdate.handler_name": "the official of a step (NguoiXuLy), published by "
    "the national portal",
    "ExplanationRecorded.official_name": "an official acting in office, as Actor's",
    "ExplanationRecorded.unit_name": "the responsible unit's name (a department), not a person",
    "Document.name": "a document's file name, e.g. 'Đơn đề nghị.pdf'",
    "FeeLine.name": "a fee's name as printed on the receipt",
    "Procedure.name": _CATALOGUE,
    **{f"{record}.procedure_name": _CATALOGUE for record in _PROCEDURE_NAMES},
    **{f"{record}.agency_name": _CATALOGUE for record in _AGENCY_NAMES},
}
LOOKS_PERSONAL = re.compile(r"name|phone|address|e_?mail|id_number|birth|passport|cccd|cmnd|dob")


def _fields(node: Any, record: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """(record name, field) of every field of a schema, nested records included."""
    if isinstance(node, list):
        for item in node:
            yield from _fields(item, record)
    elif isinstance(node, dict):
        record = node["name"] if node.get("type") == "record" else record
        for field in node.get("fields", ()):
            yield record, field
            yield from _fields(field["type"], record)
        for key in ("items", "values", "type"):
            if isinstance(node.get(key), dict | list):
                yield from _fields(node[key], record)


def _schema_fields() -> Iterator[tuple[str, dict[str, Any]]]:
    for path in sorted(SCHEMA_DIR.glob("*.avsc")):
        yield from _fields(json.loads(path.read_text(encoding="utf-8")))


def test_every_field_marked_personal_in_the_schemas_is_redacted_at_any_depth() -> None:
    marked = {field["name"] for _, field in _schema_fields() if field.get("personal") is True}
    assert {"full_name", "id_number", "phone", "email", "address", "applicant_name"} <= marked
    assert marked <= PERSONAL_FIELDS
    for name in sorted(marked):
        for key in (name, name.upper(), name.replace("_", "-"), name.title().replace("_", "")):
            event = {
                key: "Trương Thị Mỹ Hạnh",
                "payload": {"nested": [{key: {"line": "27 Nguyễn Thị Minh Khai"}}]},
                "dossier_id": "HS-2025-000123",
            }
            redacted = redact_sensitive(None, "info", event)
            assert redacted[key] == REDACTED, key
            assert redacted["payload"] == {"nested": [{key: REDACTED}]}, key
            assert redacted["dossier_id"] == "HS-2025-000123"


def test_personal_marks_survive_expansion_into_the_registered_schemas() -> None:
    """Consumers read the marks in the registry: the expanded schema it stores keeps them."""
    fields = _fields(load_schema("DossierEvent"))
    marked = {field["name"] for _, field in fields if field.get("personal") is True}
    assert {"applicant", "full_name", "id_number", "phone", "email", "address", "line"} <= marked


def test_fields_that_look_personal_are_marked_or_allow_listed() -> None:
    looking = {
        f"{record}.{field['name']}": field.get("personal") is True
        for record, field in _schema_fields()
        if LOOKS_PERSONAL.search(field["name"].lower())
    }
    unmarked = sorted(name for name, marked in looking.items() if not marked)
    assert [name for name in unmarked if name not in NOT_PERSONAL] == [], (
        'mark these fields "personal": true in schemas/, or allow-list them here with a reason'
    )
    assert sorted(set(NOT_PERSONAL) - set(unmarked)) == [], "stale allow-list entries"


def test_personal_fields_are_read_from_the_schema_files(tmp_path: Path) -> None:
    inner = '{"type": "record", "name": "Y", "fields": [{"name": "noi_cap", "type": "string", '
    (tmp_path / "vn.dvchub.X.avsc").write_text(
        '{"type": "record", "name": "X", "fields": [{"name": "kind", "type": "string"}, '
        '{"name": "ngay_cap", "type": "string", "personal": true}, {"name": "inner", "type": '
        f'{{"type": "array", "items": {inner}"personal": true}}]}}}}}}]}}',
        encoding="utf-8",
    )
    assert personal_fields(tmp_path) == {"ngay_cap", "noi_cap"}
    assert personal_fields(tmp_path) is personal_fields(tmp_path)  # read once
    with pytest.raises(RuntimeError, match="no Avro schema"):
        personal_fields(tmp_path / "missing")


def test_partners_vietnamese_field_names_are_redacted_whatever_the_spelling(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging(json=True)
    names = ("HoTen", "ho_va_ten", "TEN_NGUOI_NOP", "recipient_name", "payer_name")
    person = {
        **dict.fromkeys(names, "NGUYEN VAN AN"),
        **dict.fromkeys(("SoDienThoai", "dien_thoai", "so-dien-thoai"), "0912.345.678"),
        **dict.fromkeys(("so_cmnd", "SoCCCD", "so_giay_to", "CCCD"), "0012-0300-4567"),
        **dict.fromkeys(("NgaySinh", "ngay_sinh"), "01/02/1990"),
        "DiaChi": {"DiaChiChiTiet": "12 Lê Lợi", "TinhThanh": "An Giang"},
        "dia-chi": "12 Lê Lợi",
        "Email": "an.nguyen@example.vn",
        "so_ho_chieu": "C1234567",
        "LoaiDoiTuong": 1,
        "MaHoSo": "HS-2025-000123",
    }
    get_logger("test").info("national item", ChuHoSo=person, items=[{"HoSo": [person]}])
    line = _lines(capsys)[-1]
    record = json.loads(line)
    assert record["ChuHoSo"] == REDACTED  # the applicant record as a whole
    (inner,) = record["items"][0]["HoSo"]
    assert {k for k, v in inner.items() if v != REDACTED} == {"LoaiDoiTuong", "MaHoSo"}
    leaked = ("NGUYEN", "Lê Lợi", "0912.345.678", "4567", "1990", "C1234567", "example.vn")
    assert [secret for secret in leaked if secret in line.replace(record["timestamp"], "")] == []


def test_passports_encoded_phones_emails_and_personal_keys_in_text_are_masked() -> None:
    r = REDACTED
    cases = {
        "hộ chiếu B1234567, cấp lại C7654321.": f"hộ chiếu {r}, cấp lại {r}.",
        "GET /v1/x?phone=%2B84912345678&page=2": f"GET /v1/x?phone={r}&page=2",
        "tel=%2b84%20912%20345%20678 ok": f"tel={r} ok",
        "call 0084912345678 or 0084%20912%20345%20678": f"call {r} or {r}",
        "q=0912%20345%20678&r=0912+345+678": f"q={r}&r={r}",
        "to=my.hanh.truong%40example.vn&cc=x": f"to={r}&cc=x",
        "mailto:tam.le1980%40example.com": f"mailto:{r}",
        # the value after a personal key: query strings, JSON and Python text
        "/v1/?ho_ten=Nguy%E1%BB%85n+V%C4%83n+An&p=1": f"/v1/?ho_ten={r}&p=1",
        '{"HoTen": "Lê Văn Tám", "MaHoSo": "HS-1", "Email": null}': f'{{"HoTen": "{r}", '
        f'"MaHoSo": "HS-1", "Email": {r}}}',
        "Party(name='Lê Tám', address={'line': 'Ấp Hòa Lợi 3'})": f"Party(name='{r}', "
        f"address={{'line': '{r}'}})",
        "applicant_name=Trần+Thị+Mai procedure_name=Đăng+ký": f"applicant_name={r} "
        "procedure_name=Đăng+ký",
    }
    for text, masked in cases.items():
        assert redact_text(text) == masked, text


def test_no_false_positives_on_identifiers_digests_dates_and_amounts() -> None:
    kept = (
        "event 550e8400-e29b-41d4-a716-446655440000 / B1234567-E29B-41D4-A716-446655440000",
        "uuid C1234567-89ab-4cde-8f01-23456789abcd, ids HS-2025-000123 and UBND-LX-250303-000042",
        "sha256 9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08",
        "sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "waybill EE123456785VN, RR987654321VN; order PAY-HS-2025-000123-1",
        "at 2025-03-03T08:00:00+07:00 (2025-03-03T01:00:00.000Z), ts 1741000000123",
        "fee 1.500.000 VND, cod_amount_vnd=75000, 200000đ, 12.5 ms, procedure_name=Cấp+phép",
        "GET /v1/procedures?q=Th%E1%BB%A7%20t%E1%BB%A5c&page=2&agency_code=UBND-LX",
        '{"dossier_id": "HS-2025-000123", "status": "ACCEPTED", "partition": 2}',
    )
    for text in kept:
        assert redact_text(text) == text
