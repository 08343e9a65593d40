"""SOAP 1.1 on the server side, with lxml: safe parsing, the schema, envelopes and faults.

Used by the hub's callback endpoint and by the simulator (the client side is zeep's).

Parsing is safe by construction: the body is size-capped before it gets here; lxml parses with
``resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False``; and a document
with any DOCTYPE is refused outright (SOAP 1.1 §3: a message must not contain one), so external
entities (XXE) and entity-expansion bombs are refused, never expanded. Payloads are validated
against the schema inlined in ``vnpost.wsdl`` (lxml ``XMLSchema``).

A refusal is a ``SoapFault``; ``fault_response`` renders it as a SOAP 1.1 Fault. HTTP status:
400 for a body that is not a SOAP envelope at all (not XML, a DOCTYPE, another root), 500 for a
fault about a SOAP message (SOAP 1.1 §6.2), or the status a transport-level refusal had
(413 too large, 415 not text/xml).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Protocol, cast

from lxml import etree

from connectors.vnpost._config import WSDL_PATH

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12_ENV = "http://www.w3.org/2003/05/soap-envelope"
TNS = "urn:vn:vnpost:dvc:postal:v1"
WSDL_NS = "http://schemas.xmlsoap.org/wsdl/"
WSDL_SOAP = "http://schemas.xmlsoap.org/wsdl/soap/"
XSD_NS = "http://www.w3.org/2001/XMLSchema"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
CONTENT_TYPE = "text/xml; charset=utf-8"
SOAP_ACTION_PREFIX = f"{TNS}#"


class SoapFault(Exception):
    """A request refused with a SOAP 1.1 Fault.

    ``code`` is the faultcode: ``Client``/``Server``/``VersionMismatch`` (SOAP envelope
    namespace) or ``wsse:...`` (WS-Security 1.0 §12). ``error_code`` goes into the ServiceError
    detail; ``outcome`` labels the refusal in metrics (never a secret or personal data).
    """

    def __init__(
        self,
        code: str,
        message: str,
        *,
        outcome: str,
        http_status: int = 500,
        error_code: str | None = None,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.outcome = outcome
        self.http_status = http_status
        self.error_code = error_code or ("UNAVAILABLE" if code == "Server" else "INVALID_REQUEST")


def client_fault(
    message: str, *, outcome: str = "invalid", error_code: str | None = None
) -> SoapFault:
    return SoapFault("Client", message, outcome=outcome, error_code=error_code)


@dataclass(frozen=True)
class Envelope:
    """A parsed request: its Header (if any) and the one element in its Body."""

    header: etree._Element | None
    payload: etree._Element

    @property
    def operation(self) -> str:
        """The payload's local name without ``Request`` (``NotifyStatus``)."""
        return etree.QName(self.payload).localname.removesuffix("Request")


def _parser() -> etree.XMLParser:
    # A parser per document: lxml parsers are not to be shared between threads.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=True,
        collect_ids=False,
    )


_DOCTYPE = b"<!DOCTYPE"
_ENTITY = b"<!ENTITY"


def _doctype_refused() -> SoapFault:
    return SoapFault(
        "Client",
        "a DOCTYPE is not allowed in a SOAP message (no DTDs, no entities)",
        outcome="unsafe_xml",
        http_status=400,
    )


def parse_envelope(body: bytes) -> Envelope:
    """A SOAP 1.1 envelope from ``body``, or ``SoapFault``; nothing in it is expanded or fetched."""
    if not body.strip():
        raise SoapFault("Client", "empty body; send a SOAP 1.1 envelope", outcome="malformed",
                        http_status=400)  # fmt: skip
    # Before parsing, so that libxml2 never even reads the entity declarations (it would
    # refuse a bomb itself, but as "not well-formed"); after parsing, for encodings that
    # hide the marker from a byte search (UTF-16). Text that merely mentions "<!DOCTYPE" in
    # a comment or CDATA is refused too: no partner has reason to send it.
    if _DOCTYPE in body or _ENTITY in body:
        raise _doctype_refused()
    try:
        root = etree.fromstring(body, _parser())
    except etree.XMLSyntaxError as exc:
        raise SoapFault("Client", f"not well-formed XML: {exc.msg}", outcome="malformed",
                        http_status=400) from exc  # fmt: skip
    docinfo = root.getroottree().docinfo
    if (
        cast(_DocType, docinfo).doctype
        or docinfo.internalDTD is not None
        or docinfo.externalDTD is not None
    ):
        raise _doctype_refused()
    qname = etree.QName(root)
    if qname.namespace == SOAP12_ENV:
        raise SoapFault("VersionMismatch", "SOAP 1.2 envelope; this service speaks SOAP 1.1",
                        outcome="malformed")  # fmt: skip
    if qname.namespace != SOAP_ENV or qname.localname != "Envelope":
        raise SoapFault("Client", f"the root element is {qname.text}, not a SOAP 1.1 Envelope",
                        outcome="malformed", http_status=400)  # fmt: skip
    header = root.find(f"{{{SOAP_ENV}}}Header")
    body_element = root.find(f"{{{SOAP_ENV}}}Body")
    if body_element is None:
        raise client_fault("the envelope has no soap:Body", outcome="malformed")
    children = [c for c in body_element if isinstance(c.tag, str)]
    if len(children) != 1:
        raise client_fault(f"soap:Body holds {len(children)} elements; exactly one expected",
                           outcome="malformed")  # fmt: skip
    return Envelope(header, children[0])


# -- what lxml has and lxml-stubs lack ----------------------------------------------------------
class _DocType(Protocol):
    doctype: str


class _LogEntry(Protocol):
    message: str


class _ErrorLog(Protocol):
    last_error: _LogEntry | None


# -- the schema ------------------------------------------------------------------------------
@cache
def schema(wsdl_path: Path = WSDL_PATH) -> etree.XMLSchema:
    """The XSD inlined in the WSDL, compiled once."""
    wsdl = etree.parse(str(wsdl_path), _parser())
    inline = wsdl.find(f"{{{WSDL_NS}}}types/{{{XSD_NS}}}schema")
    if inline is None:
        raise ValueError(f"{wsdl_path} has no inline xs:schema")
    return etree.XMLSchema(etree.fromstring(etree.tostring(inline)))


def validate(payload: etree._Element, *, wsdl_path: Path = WSDL_PATH) -> None:
    """``SoapFault`` (Client) naming the first schema violation of ``payload``."""
    compiled = schema(wsdl_path)
    if compiled.validate(payload):
        return
    error = cast(_ErrorLog, compiled.error_log).last_error
    message = error.message if error is not None else "does not match the schema"
    raise client_fault(f"{etree.QName(payload).localname}: {message}")


def wsdl_document(address: str | None = None, *, service: str | None = None) -> bytes:
    """The WSDL; with ``address``, the ``service``'s (or every) soap:address set to it."""
    document = etree.parse(str(WSDL_PATH), _parser())
    if address is not None:
        for element in document.iter(f"{{{WSDL_NS}}}service"):
            if service is None or element.get("name") == service:
                for location in element.iter(f"{{{WSDL_SOAP}}}address"):
                    location.set("location", address)
    return etree.tostring(document, xml_declaration=True, encoding="UTF-8")


# -- building --------------------------------------------------------------------------------
def tns(name: str) -> str:
    return f"{{{TNS}}}{name}"


def element(name: str, *children: etree._Element | None, text: str | None = None) -> etree._Element:
    """A ``tns:`` element with ``children`` (None skipped) or ``text``."""
    node = etree.Element(tns(name), nsmap={"tns": TNS})
    if text is not None:
        node.text = text
    node.extend(c for c in children if c is not None)
    return node


def optional(name: str, value: object | None) -> etree._Element | None:
    return None if value is None else element(name, text=str(value))


def envelope(payload: etree._Element, header: Iterable[etree._Element] = ()) -> bytes:
    """A SOAP 1.1 envelope around ``payload`` with ``header`` blocks, as UTF-8 bytes."""
    root = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soap": SOAP_ENV})
    blocks = list(header)
    if blocks:
        etree.SubElement(root, f"{{{SOAP_ENV}}}Header").extend(blocks)
    etree.SubElement(root, f"{{{SOAP_ENV}}}Body").append(payload)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def fault_envelope(fault: SoapFault) -> bytes:
    """The SOAP 1.1 Fault for ``fault``, with a tns:ServiceError detail."""
    root = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soap": SOAP_ENV})
    body = etree.SubElement(root, f"{{{SOAP_ENV}}}Body")
    node = etree.SubElement(body, f"{{{SOAP_ENV}}}Fault", nsmap={"wsse": WSSE})
    code = fault.code if ":" in fault.code else f"soap:{fault.code}"
    etree.SubElement(node, "faultcode").text = code
    etree.SubElement(node, "faultstring").text = fault.message
    detail = etree.SubElement(node, "detail")
    detail.append(
        element(
            "ServiceError",
            element("Code", text=fault.error_code),
            element("Message", text=fault.message),
        )
    )
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


# -- reading ---------------------------------------------------------------------------------
def child(parent: etree._Element, name: str) -> etree._Element | None:
    return parent.find(tns(name))


def text(parent: etree._Element, name: str) -> str | None:
    node = parent.find(tns(name))
    return None if node is None or node.text is None else node.text.strip()


def required_text(parent: etree._Element, name: str) -> str:
    value = text(parent, name)
    if value is None:
        raise client_fault(f"{etree.QName(parent).localname}/{name} is missing")
    return value


@dataclass(frozen=True)
class ParsedFault:
    """A Fault read back from a reply (tests and the raw client)."""

    code: str
    message: str
    error_code: str | None


def read_fault(body: bytes) -> ParsedFault | None:
    """The Fault in a reply envelope, or None when the reply holds none."""
    try:
        root = etree.fromstring(body, _parser())
    except etree.XMLSyntaxError:
        return None
    node = root.find(f"{{{SOAP_ENV}}}Body/{{{SOAP_ENV}}}Fault")
    if node is None:
        return None
    code = (node.findtext("faultcode") or "").strip()
    error = node.find(f"detail/{tns('ServiceError')}")
    return ParsedFault(
        code=code,
        message=(node.findtext("faultstring") or "").strip(),
        error_code=None if error is None else text(error, "Code"),
    )


def fault_local_code(code: str | None) -> str:
    """``soap:Client.Auth`` -> ``Client``; ``wsse:FailedAuthentication`` -> itself."""
    if not code:
        return ""
    prefix, _, local = code.rpartition(":")
    if prefix and prefix.startswith("wsse"):
        return f"wsse:{local}"
    return local.split(".", 1)[0]
