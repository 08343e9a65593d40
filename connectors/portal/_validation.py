"""From request bytes to validated models, or a precise list of what is wrong.

Two stages with two answers: bytes that are not JSON are a 400 (``MalformedBody``), JSON that
breaks the contract is a 422 listing every broken rule with the JSON path of its field
(``InvalidBody``). A batch is validated completely before anything is produced, so a rejected
batch produces nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass

from pydantic import TypeAdapter, ValidationError

from connectors.common import JsonObject, JsonValue, Marker
from connectors.portal._models import EVENT_TYPES, PORTAL_EVENT, PortalEvent, ProcedureEntry
from connectors.portal._rules import (
    FieldError,
    PathPart,
    batch_errors,
    event_errors,
    procedure_errors,
)
from connectors.portal._transfer_rules import transfer_errors
from connectors.portal._types import ProcedureCode
from hub.dossier import DeskDirectory

# Never more errors than this in one answer: enough to fix a batch, bounded for a 500-item one.
MAX_REPORTED_ERRORS = 200
_EVENT_TAGS = frozenset(EVENT_TYPES)
_TAG_RULES = {"union_tag_invalid": "unknown_event_type", "union_tag_not_found": "missing"}
PROCEDURE_CODE = TypeAdapter[str](ProcedureCode)


class MalformedBody(Exception):
    """The body is not a UTF-8 JSON document (400)."""


class InvalidBody(Exception):
    """The body is JSON but breaks the contract (422)."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(f"{len(errors)} invalid field(s)")
        self.errors = errors[:MAX_REPORTED_ERRORS]
        self.total = len(errors)


@dataclass(frozen=True)
class ValidEvent:
    """A validated event, where it was in the batch, and the fingerprint of its content."""

    index: int
    event: PortalEvent
    fingerprint: str

    @property
    def event_id(self) -> str:
        return str(self.event.event_id)

    @property
    def marker(self) -> Marker:
        """What the dedupe store and its topic remember of this event once accepted."""
        return Marker(self.event_id, self.fingerprint, self.event.dossier_id)


def parse_json(body: bytes) -> JsonValue:
    """Decode ``body`` as strict JSON: UTF-8, no duplicate keys, no NaN/Infinity."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedBody(f"body is not valid UTF-8 (byte {exc.start})") from exc
    if not text.strip():
        raise MalformedBody("body is empty; expected a JSON object")
    try:
        document: JsonValue = json.loads(
            text, object_pairs_hook=_no_duplicate_keys, parse_constant=_no_constant
        )
    except json.JSONDecodeError as exc:
        raise MalformedBody(
            f"malformed JSON at line {exc.lineno} column {exc.colno} (char {exc.pos}): {exc.msg}"
        ) from exc
    except ValueError as exc:  # Python refuses integer literals of more than 4300 digits
        raise MalformedBody("malformed JSON: a number literal is too long") from exc
    except RecursionError as exc:
        raise MalformedBody("malformed JSON: nested too deeply") from exc
    return document


def _no_duplicate_keys(pairs: list[tuple[str, JsonValue]]) -> JsonObject:
    result: JsonObject = {}
    for key, value in pairs:
        if key in result:
            raise MalformedBody(f"malformed JSON: duplicate key {key!r} in an object")
        result[key] = value
    return result


def _no_constant(name: str) -> float:
    raise MalformedBody(f"malformed JSON: {name} is not a JSON number")


def fingerprint(event: PortalEvent, source: str) -> str:
    """SHA-256 of the validated content, to tell a resend from a reused event id."""
    canonical = json.dumps(
        {"source": source, "event": event.model_dump(mode="json")}, sort_keys=True
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def validate_batch(
    document: JsonValue, *, max_events: int, source: str, desks: DeskDirectory | None = None
) -> list[ValidEvent]:
    """Every event of a ``{"events": [...]}`` document, or ``InvalidBody`` with every error
    (``desks``: the desk directory desk codes must be in, None when not configured)."""
    if not isinstance(document, dict):
        raise InvalidBody(
            [FieldError((), "object_type", 'must be a JSON object {"events": [...]}')]
        )
    errors = [
        FieldError((key,), "extra_forbidden", "unknown field")
        for key in document
        if key != "events"
    ]
    items = document.get("events")
    if not isinstance(items, list):
        rule = "missing" if items is None else "list_type"
        raise InvalidBody([*errors, FieldError(("events",), rule, "must be a list of events")])
    if not 1 <= len(items) <= max_events:
        errors.append(
            FieldError(
                ("events",), "batch_size", f"must hold 1 to {max_events} events (got {len(items)})"
            )
        )
        raise InvalidBody(errors)
    valid: list[ValidEvent] = []
    first_seen: dict[str, ValidEvent] = {}
    for index, item in enumerate(items):
        try:
            event = PORTAL_EVENT.validate_python(item)
        except ValidationError as exc:
            errors.extend(e.under("events", index) for e in _item_errors(exc))
            continue
        item_errors = [e.under("events", index) for e in event_errors(event)]
        if item_errors:
            errors.extend(item_errors)
            continue
        entry = ValidEvent(index, event, fingerprint(event, source))
        earlier = first_seen.setdefault(entry.event_id, entry)
        if earlier is not entry and earlier.fingerprint != entry.fingerprint:
            errors.append(
                FieldError(
                    ("events", index, "event_id"),
                    "event_id_reused",
                    f"repeats events[{earlier.index}].event_id with different content",
                )
            )
        valid.append(entry)
    errors.extend(batch_errors((entry.index, entry.event) for entry in valid))
    errors.extend(transfer_errors([(v.index, v.event) for v in valid], desks))
    if errors:
        raise InvalidBody(errors)
    return valid


def validate_procedure(code: str, document: JsonValue) -> ProcedureEntry:
    errors: list[FieldError] = []
    try:
        PROCEDURE_CODE.validate_python(code)
    except ValidationError as exc:
        errors.extend(
            FieldError(("code",), e["type"], f"path parameter {e['msg']}") for e in exc.errors()
        )
    try:
        entry = ProcedureEntry.model_validate(document)
    except ValidationError as exc:
        raise InvalidBody([*errors, *_item_errors(exc)]) from exc
    errors.extend(procedure_errors(entry))
    if errors:
        raise InvalidBody(errors)
    return entry


def _item_errors(exc: ValidationError) -> Iterable[FieldError]:
    for error in exc.errors(include_url=False, include_input=False):
        loc: tuple[PathPart, ...] = tuple(error["loc"])
        kind = error["type"]
        if kind in _TAG_RULES:
            loc, kind = ("event_type",), _TAG_RULES[kind]
        elif loc and loc[0] in _EVENT_TAGS:
            loc = loc[1:]  # the discriminated union puts the tag first; it is not in the JSON
        yield FieldError(loc, kind, _message(error["msg"], kind))


def _message(message: str, kind: str) -> str:
    if kind == "unknown_event_type":
        return "must be one of: " + ", ".join(EVENT_TYPES)
    if kind == "missing" and message.startswith("Unable to extract tag"):
        return "Field required"
    return message
