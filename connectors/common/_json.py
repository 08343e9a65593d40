"""JSON as the connectors read and write it, typed rather than left open.

``JsonValue`` is what ``json.loads`` can return; a document from outside is checked with
``isinstance`` before a field is used. ``JsonObject`` is
a JSON object (an HTTP body, an OpenAPI fragment).
"""

from __future__ import annotations

import json
from typing import TypeAlias

JsonValue: TypeAlias = "bool | int | float | str | list[JsonValue] | dict[str, JsonValue] | None"
JsonObject: TypeAlias = dict[str, JsonValue]


def loads(text: str | bytes) -> JsonValue:
    """``json.loads``, typed: the one place a parsed document becomes a ``JsonValue``."""
    document: JsonValue = json.loads(text)
    return document
