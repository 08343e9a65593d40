"""A small client for the Confluent schema-registry REST API (served by Apicurio's ccompat layer).

Only what the hub needs: register a schema under a subject with a compatibility rule, look a
schema up by id, read a subject's versions. Ids are cached: a registered schema's id and an
id's schema never change.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping
from typing import NoReturn, TypedDict, cast

import httpx

from hub.serde._exceptions import (
    IncompatibleSchema,
    RegistryError,
    RegistryUnavailable,
    SchemaNotFound,
)
from hub.serde._schemas import Schema, canonical_json

COMPATIBILITY = "BACKWARD_TRANSITIVE"
_CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"
_CREATE_RACE_RETRIES = 3


# The registry's answers as the Confluent API documents them (the casts below, on what
# ``_call`` decoded, are the decoding boundary).
class _Registered(TypedDict):
    id: int


class _Config(TypedDict, total=False):
    compatibilityLevel: str
    compatibility: str


class _SchemaText(TypedDict):
    schema: str


class _Version(TypedDict):
    id: int
    schema: str


class RegistryClient:
    """Talks to one registry; safe to share between threads."""

    def __init__(self, url: str, *, timeout_s: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.url, timeout=timeout_s, headers={"Content-Type": _CONTENT_TYPE}
        )
        self._ids_by_subject_schema: dict[tuple[str, str], int] = {}
        self._schemas_by_id: dict[int, Schema] = {}
        self._configured_subjects: set[str] = set()
        self._lock = threading.Lock()

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> RegistryClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- calls -------------------------------------------------------------------------------
    def register(self, subject: str, schema: Schema, *, compatibility: str = COMPATIBILITY) -> int:
        """Register ``schema`` under ``subject`` (idempotent) and return its id.

        The subject's compatibility rule is set first, so the registry checks this version
        against every version it already holds (BACKWARD_TRANSITIVE by default).
        """
        text = canonical_json(schema)
        cache_key = (subject, text)
        if cache_key in self._ids_by_subject_schema:
            return self._ids_by_subject_schema[cache_key]
        if subject not in self._configured_subjects:
            self.set_compatibility(subject, compatibility)
        body = self._post_version(subject, text)
        schema_id = int(body["id"])
        with self._lock:
            self._ids_by_subject_schema[cache_key] = schema_id
            self._schemas_by_id.setdefault(schema_id, schema)
        return schema_id

    def _post_version(self, subject: str, text: str) -> _Registered:
        body = self._call_creating(
            "POST", f"/subjects/{subject}/versions", {"schema": text, "schemaType": "AVRO"}
        )
        return cast(_Registered, body)

    def set_compatibility(self, subject: str, level: str) -> None:
        self._call_creating("PUT", f"/config/{subject}", {"compatibility": level})
        with self._lock:
            self._configured_subjects.add(subject)

    def _call_creating(self, method: str, path: str, payload: Mapping[str, str]) -> object:
        # Two processes creating a subject's first version, or its first compatibility rule,
        # at the same moment: the registry creates it for one and answers the other 409
        # "already exists" (not an incompatibility); it exists now, so calling again finds,
        # adds or updates it.
        for attempt in range(_CREATE_RACE_RETRIES + 1):
            try:
                return self._call(method, path, payload)
            except IncompatibleSchema as exc:
                if "already exists" not in str(exc) or attempt == _CREATE_RACE_RETRIES:
                    raise
                time.sleep(0.05 * (attempt + 1))
        raise AssertionError("unreachable")

    def compatibility(self, subject: str) -> str:
        body = cast(_Config, self._call("GET", f"/config/{subject}"))
        return str(body.get("compatibilityLevel") or body.get("compatibility"))

    def schema_by_id(self, schema_id: int) -> Schema:
        """The schema registered with ``schema_id`` (cached forever: ids are immutable)."""
        cached = self._schemas_by_id.get(schema_id)
        if cached is not None:
            return cached
        body = cast(_SchemaText, self._call("GET", f"/schemas/ids/{schema_id}"))
        schema: Schema = json.loads(body["schema"])
        with self._lock:
            self._schemas_by_id[schema_id] = schema
        return schema

    def versions(self, subject: str) -> list[int]:
        body = cast(list[int], self._call("GET", f"/subjects/{subject}/versions"))
        return [int(v) for v in body]

    def latest(self, subject: str) -> tuple[int, Schema]:
        """Id and schema of the latest version under ``subject``."""
        body = cast(_Version, self._call("GET", f"/subjects/{subject}/versions/latest"))
        return int(body["id"]), json.loads(body["schema"])

    def subjects(self) -> list[str]:
        return [str(s) for s in cast(list[str], self._call("GET", "/subjects"))]

    # -- transport ---------------------------------------------------------------------------
    def _call(self, method: str, path: str, payload: Mapping[str, str] | None = None) -> object:
        try:
            response = self._http.request(method, path, json=payload)
        except httpx.HTTPError as exc:
            raise RegistryUnavailable(f"{method} {self.url}{path}: {exc}") from exc
        if not response.is_success:
            _raise_for(method, self.url + path, response)
        return response.json()


def _raise_for(method: str, url: str, response: httpx.Response) -> NoReturn:
    try:
        message = str(response.json().get("message", response.text))
    except ValueError:
        message = response.text
    detail = f"{method} {url} -> {response.status_code}: {message[:500]}"
    if response.status_code == 404:
        raise SchemaNotFound(detail)
    if response.status_code == 409:
        raise IncompatibleSchema(detail)
    if response.status_code >= 500:
        raise RegistryUnavailable(detail)
    raise RegistryError(detail)
