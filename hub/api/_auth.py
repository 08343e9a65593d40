"""API keys with roles: who may call the query API (and ``POST /v1/verify``), and what they see.

Keys come from ``DVC_API_KEYS`` (entries ``name:role:key``, or ``name:officer:AGENCY:key`` for an
officer, separated by ``;``) or from the TOML file ``DVC_API_KEYS_FILE`` (``[[key]]`` tables with
``name``, ``role``, ``agency`` for an officer, and ``key``). Instead of the key itself an entry may
give ``sha256=<hex>`` (TOML: ``sha256 = "<hex>"``), so the configuration need not hold it at all.

Only the SHA-256 of each key is kept in memory, and a presented key is looked up in constant
time (``hub.apikeys.KeyRing``, shared with the portal connector), so neither the comparison nor
the position of a match leaks through timing. Keys and callers' names never go to
a log: a refusal logs nothing but its status.

Roles:

* ``integrator``: dossier states and histories, without personal data;
* ``officer`` (bound to one agency code): its own agency's dossiers with personal data, and its
  agency's rows of the late list; another agency's dossier is 403;
* ``ops``: states without personal data, every report;
* ``public``: the published aggregates only (the KPI reports);
* ``verifier``: ``POST /v1/verify`` (also open to integrator, officer and ops).

The KPI reports are published aggregates: every role may read them, though still with a key.
"""

from __future__ import annotations

import logging
import os
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from pathlib import Path

from fastapi import HTTPException, Request

from hub.apikeys import DIGEST_BYTES, KeyRing, key_digest
from hub.secrets import DEV_FLAG, dev_secrets_allowed

logger = logging.getLogger("hub.api")

ENV_KEYS = "DVC_API_KEYS"
ENV_KEYS_FILE = "DVC_API_KEYS_FILE"
ENV_DEV = DEV_FLAG  # hub.secrets' development flag, read the same way by every process
#: A configured key shorter than this is refused: it could be guessed.
MIN_KEY_LENGTH = 16


class Role(StrEnum):
    INTEGRATOR = "integrator"
    OFFICER = "officer"
    OPS = "ops"
    PUBLIC = "public"
    VERIFIER = "verifier"


#: Roles that may read the KPI reports: published aggregates, so everyone authenticated.
EVERY_ROLE = frozenset(Role)
#: Roles that may read dossier states (personal data only for an officer of the agency).
DOSSIER_READERS = frozenset({Role.INTEGRATOR, Role.OFFICER, Role.OPS})
#: Roles that may read the late list (an officer: its own agency's rows).
LATE_LIST_READERS = frozenset({Role.OPS, Role.OFFICER})
#: Roles that may call ``POST /v1/verify``.
VERIFIERS = frozenset({Role.INTEGRATOR, Role.OFFICER, Role.OPS, Role.VERIFIER})

#: Fields holding an applicant's personal data, wherever they appear in a response (the
#: DossierState's ``applicant_name``; Applicant and RoutingState fields if a view carries them).
PERSONAL_FIELDS = frozenset({
    "applicant", "applicant_name", "applicant_phone", "applicant_email", "applicant_address",
    "applicant_id_number", "full_name", "id_number", "phone", "email", "address",
})  # fmt: skip


class ApiKeysMissing(RuntimeError):
    """No key is configured and development mode is off: the API must not start open."""


@dataclass(frozen=True)
class Caller:
    """Who presented a valid key; ``agency`` is set for an officer only."""

    name: str
    role: Role
    agency: str | None = None

    @property
    def sees_personal_data(self) -> bool:
        return self.role is Role.OFFICER


@dataclass(frozen=True)
class ApiKey:
    caller: Caller
    digest: bytes


def api_key(name: str, role: str, secret: str, agency: str | None = None) -> ApiKey:
    """One configured key; ``secret`` is the key itself or ``sha256=<hex>`` of it."""
    try:
        parsed = Role(role.strip().lower())
    except ValueError:
        raise ValueError(f"API key {name!r}: unknown role {role!r}") from None
    if (parsed is Role.OFFICER) != bool(agency):
        raise ValueError(f"API key {name!r}: an agency code is required for, and only for, officer")
    if secret.startswith("sha256="):
        try:
            digest = bytes.fromhex(secret.removeprefix("sha256="))
        except ValueError:
            digest = b""
        if len(digest) != DIGEST_BYTES:
            raise ValueError(f"API key {name!r}: sha256= needs {2 * DIGEST_BYTES} hex digits")
    elif len(secret) < MIN_KEY_LENGTH:
        raise ValueError(f"API key {name!r}: keys must be at least {MIN_KEY_LENGTH} characters")
    else:
        digest = key_digest(secret)
    return ApiKey(Caller(name, parsed, agency or None), digest)


@dataclass(frozen=True)
class ApiKeys:
    keys: tuple[ApiKey, ...]

    def identify(self, presented: str) -> Caller | None:
        """The caller owning ``presented``, or None; constant time in the key's content."""
        return self._ring.find(presented)

    @cached_property
    def _ring(self) -> KeyRing[Caller]:
        return KeyRing.of((key.digest, key.caller) for key in self.keys)


def parse_api_keys(text: str) -> ApiKeys:
    """``name:role:key`` / ``name:officer:AGENCY:key`` entries separated by ``;``."""
    keys = []
    for entry in (e.strip() for e in text.split(";")):
        if not entry:
            continue
        name, _, rest = entry.partition(":")
        role, _, rest = rest.partition(":")
        agency = None
        if role.strip().lower() == Role.OFFICER:
            agency, _, rest = rest.partition(":")
        if not name or not rest:
            # Never echo the entry: it holds a key.
            raise ValueError(f"{ENV_KEYS}: an entry is not name:role[:agency]:key")
        keys.append(api_key(name.strip(), role, rest.strip(), agency and agency.strip()))
    return ApiKeys(tuple(keys))


def load_api_keys_file(path: Path) -> ApiKeys:
    """``[[key]]`` tables: ``name``, ``role``, ``agency`` (officer), ``key`` or ``sha256``."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    keys = []
    for table in data.get("key", []):
        name = str(table.get("name", ""))
        given = table.get("key", "")
        secret = f"sha256={table['sha256']}" if "sha256" in table else str(given)
        keys.append(api_key(name, str(table.get("role", "")), secret, table.get("agency")))
    return ApiKeys(tuple(keys))


@dataclass(frozen=True)
class DevelopmentKeys:
    """The published development key set (README "Access to the query API"): for ``make run``,
    the tests and ``DVC_DEV_SECRETS=1``; never for a real deployment, anyone can read them."""

    integrator: str = "dev-integrator-key"
    ops: str = "dev-ops-key-000000"
    public: str = "dev-public-key-000"
    verifier: str = "dev-verifier-key-0"

    def officer(self, agency: str) -> str:
        return f"dev-officer-key-{agency}"

    def keys(self, agencies: Iterable[str]) -> ApiKeys:
        entries = [api_key(f"dev-{role}", role, getattr(self, role))
                   for role in ("integrator", "ops", "public", "verifier")]  # fmt: skip
        entries += [api_key(f"dev-officer-{a}", "officer", self.officer(a), a) for a in agencies]
        return ApiKeys(tuple(entries))


DEV_KEYS = DevelopmentKeys()
#: Agencies with a development officer key: the sample province's, and those the tests use.
DEV_AGENCIES = ("UBND-LX", "UBND-CD", "STP", "UBND-PX-MX", "SXD", "STNMT", "SKHDT", "SYT")


def development_keys(agencies: Iterable[str] = DEV_AGENCIES) -> ApiKeys:
    return DEV_KEYS.keys(agencies)


def dev_secrets_enabled(env: Mapping[str, str] | None = None) -> bool:
    return dev_secrets_allowed(env)


def api_keys_from_env(env: Mapping[str, str] | None = None) -> ApiKeys:
    """``DVC_API_KEYS``, else ``DVC_API_KEYS_FILE``, else (``DVC_DEV_SECRETS=1`` only) the
    development keys with a warning; else :class:`ApiKeysMissing`."""
    env = os.environ if env is None else env
    keys = ApiKeys(())
    if env.get(ENV_KEYS, "").strip():
        keys = parse_api_keys(env[ENV_KEYS])
    elif env.get(ENV_KEYS_FILE, "").strip():
        keys = load_api_keys_file(Path(env[ENV_KEYS_FILE]))
    if keys.keys:
        return keys
    if dev_secrets_enabled(env):
        logger.warning(
            "no %s / %s: using the published development API keys (%s=1); "
            "never do this outside a developer's machine", ENV_KEYS, ENV_KEYS_FILE, ENV_DEV,
        )  # fmt: skip
        return development_keys()
    raise ApiKeysMissing(
        f"no API key configured: set {ENV_KEYS} or {ENV_KEYS_FILE} "
        f"(or {ENV_DEV}=1 for the development keys)"
    )


def bearer_headers(key: str) -> dict[str, str]:
    """The request headers that present ``key``."""
    return {"Authorization": f"Bearer {key}"}


def _presented(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
        return None
    return request.headers.get("x-api-key") or None


def _unauthorised(detail: str, error: str | None = None) -> HTTPException:
    challenge = "Bearer" if error is None else f'Bearer error="{error}"'
    return HTTPException(status_code=401, detail=detail, headers={"WWW-Authenticate": challenge})


def authenticate(keys: ApiKeys, request: Request) -> Caller:
    """The caller presenting a valid key, else 401 with a Bearer challenge."""
    presented = _presented(request)
    if presented is None:
        raise _unauthorised("an API key is required (Authorization: Bearer <key>)")
    caller = keys.identify(presented)
    if caller is None:
        raise _unauthorised("invalid API key", "invalid_token")
    return caller


def requires(keys: ApiKeys, roles: Iterable[Role]) -> Callable[[Request], Caller]:
    """A FastAPI dependency: the caller, if its role is one of ``roles``; else 401 / 403."""
    allowed = frozenset(roles)

    def dependency(request: Request) -> Caller:
        caller = authenticate(keys, request)
        if caller.role not in allowed:
            raise HTTPException(status_code=403, detail=f"role {caller.role} may not call this")
        return caller

    return dependency


def without_personal_data(value: object) -> object:
    """``value`` (JSON-ready data) with every :data:`PERSONAL_FIELDS` key removed, at any depth."""
    if isinstance(value, Mapping):
        return {k: without_personal_data(v) for k, v in value.items() if k not in PERSONAL_FIELDS}
    if isinstance(value, list):
        return [without_personal_data(v) for v in value]
    return value


def visible_to(caller: Caller, value: object) -> object:
    """What of ``value`` the caller may see: all of it for an officer, else no personal data."""
    return value if caller.sees_personal_data else without_personal_data(value)
