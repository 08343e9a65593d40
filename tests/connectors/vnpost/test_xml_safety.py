"""Parsing refuses what is not a plain SOAP 1.1 envelope: DTDs, entities, other roots."""

from __future__ import annotations

import pytest

from connectors.vnpost import SoapFault
from connectors.vnpost._soap import parse_envelope

ENVELOPE = (
    '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
    "<soap:Body>{body}</soap:Body></soap:Envelope>"
)
XXE = (
    '<?xml version="1.0"?><!DOCTYPE soap:Envelope [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    + ENVELOPE.format(body='<a xmlns="urn:vn:vnpost:dvc:postal:v1">&xxe;</a>')
)
LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">'
        for i in range(1, 10)
    )
    + "]>"
    + ENVELOPE.format(body="<a>&lol9;</a>")
)
PLAIN_DOCTYPE = '<?xml version="1.0"?><!DOCTYPE soap:Envelope>' + ENVELOPE.format(body="<a/>")
PARAMETER_ENTITY = (
    '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY % ext SYSTEM "http://127.0.0.1:9/x.dtd"> %ext;]>'
    + ENVELOPE.format(body="<a/>")
)


@pytest.mark.parametrize(
    "document", [XXE, LAUGHS, PLAIN_DOCTYPE, PARAMETER_ENTITY],
    ids=["xxe", "billion-laughs", "doctype", "parameter-entity"],
)  # fmt: skip
def test_any_doctype_is_refused_unexpanded(document: str) -> None:
    with pytest.raises(SoapFault) as caught:
        parse_envelope(document.encode())
    fault = caught.value
    assert fault.code == "Client"
    assert fault.http_status == 400
    assert fault.outcome == "unsafe_xml"
    assert "DOCTYPE is not allowed" in fault.message
    assert "root:" not in fault.message  # nothing of /etc/passwd


@pytest.mark.parametrize(
    ("document", "expected", "status"),
    [
        (b"", "empty body", 400),
        (b"this is not xml", "not well-formed XML", 400),
        (b"<Envelope/>", "not a SOAP 1.1 Envelope", 400),
        (b'<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"/>', "SOAP 1.2", 500),
        (b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"/>', "no soap:Body", 500),
        (ENVELOPE.format(body="<a/><b/>").encode(), "holds 2 elements", 500),
        (ENVELOPE.format(body="").encode(), "holds 0 elements", 500),
    ],
)
def test_other_non_envelopes(document: bytes, expected: str, status: int) -> None:
    with pytest.raises(SoapFault) as caught:
        parse_envelope(document)
    assert expected in caught.value.message
    assert caught.value.http_status == status


def test_a_plain_envelope_parses() -> None:
    parsed = parse_envelope(
        ENVELOPE.format(body='<x:NotifyStatusRequest xmlns:x="urn:a"/>').encode()
    )
    assert parsed.header is None
    assert parsed.operation == "NotifyStatus"


def test_a_doctype_hidden_by_utf16_is_refused_after_parsing() -> None:
    document = ('<?xml version="1.0" encoding="UTF-16"?>' + PLAIN_DOCTYPE[21:]).encode("utf-16")
    assert b"<!DOCTYPE" not in document
    with pytest.raises(SoapFault) as caught:
        parse_envelope(document)
    assert caught.value.outcome == "unsafe_xml"
