"""Secrets from the environment, and the production rules they must meet before a process starts.

A secret ``NAME`` comes from the variable ``NAME`` or from the file named by ``NAME_FILE`` (the
Docker / Kubernetes secrets convention: the value never sits in the environment, where ``ps e``
and crash dumps can see it). Setting both is an error: which one wins would be a guess.

Production is the default. A secret is refused when it is missing, empty, shorter than a floor
(16 characters unless the caller says otherwise) or equal to a development value published in
this repository. Development is explicit: ``DVC_DEV_SECRETS=1`` (set by ``make run`` and the
test suite) lets a missing secret fall back to its development value, with one warning naming
the variable. Every refusal is a ``SecretError`` naming the variable, never the value.

This module knows no connector: each connector's config module names its variables, its
development values and its floors, and calls these functions.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Collection, Mapping, MutableMapping
from pathlib import Path

__all__ = [
    "DEFAULT_MIN_LENGTH",
    "DEV_FLAG",
    "FILE_SUFFIX",
    "SecretError",
    "check_secret",
    "dev_default",
    "dev_secrets_allowed",
    "fill_from_files",
    "load_secret",
    "read_secret",
]

log = logging.getLogger(__name__)

#: The variable that allows development secrets (``1``, ``true`` or ``yes``).
DEV_FLAG = "DVC_DEV_SECRETS"
#: Shortest secret accepted unless a caller passes its own floor.
DEFAULT_MIN_LENGTH = 16
#: ``NAME_FILE`` names a file holding the secret ``NAME``.
FILE_SUFFIX = "_FILE"

_TRUE = frozenset({"1", "true", "yes"})
# Variables already warned about: one warning per variable and process, not one per config
# object (tests and clients build many).
_warned: set[str] = set()


class SecretError(RuntimeError):
    """A secret is missing, unreadable or insecure. The message names the variable, never the
    value. (Not a ``ValueError``: pydantic would wrap that with the raw input, secrets
    included.)"""

    def __init__(self, variable: str, problem: str) -> None:
        self.variable = variable
        self.problem = problem
        super().__init__(f"{variable} {problem}")


def _env(env: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if env is None else env


def dev_secrets_allowed(env: Mapping[str, str] | None = None) -> bool:
    """Whether ``DVC_DEV_SECRETS`` says this is a development machine."""
    return _env(env).get(DEV_FLAG, "").strip().lower() in _TRUE


def read_secret(name: str, env: Mapping[str, str] | None = None) -> str | None:
    """The value of ``name`` or of the file ``name_FILE`` names; ``None`` when neither is set.

    One trailing newline of the file is stripped (``echo`` and editors add it); an empty variable
    is returned as ``""`` so that ``check_secret`` can say it is empty rather than missing.
    """
    env = _env(env)
    direct = env.get(name)
    file_name = env.get(name + FILE_SUFFIX)
    if direct is not None and file_name is not None:
        raise SecretError(name, f"and {name}{FILE_SUFFIX} are both set; set only one")
    if file_name is None:
        return direct
    if not file_name.strip():
        raise SecretError(name, f"cannot be read: {name}{FILE_SUFFIX} is empty")
    try:
        text = Path(file_name).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        # The path is configuration, not a secret; the OS reason says what to fix.
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        raise SecretError(name, f"cannot be read from {file_name!r} ({reason})") from None
    if text.endswith("\r\n"):
        return text[:-2]
    return text[:-1] if text.endswith("\n") else text


def _warn_once(name: str) -> None:
    if name not in _warned:
        _warned.add(name)
        log.warning(
            "%s uses the development value published in the repository (%s is set); "
            "never on a shared or production machine",
            name,
            DEV_FLAG,
        )


def check_secret(
    name: str,
    value: str | None,
    *,
    dev_values: Collection[str] = (),
    min_length: int = DEFAULT_MIN_LENGTH,
    env: Mapping[str, str] | None = None,
) -> str:
    """``value`` if it may be used as the secret ``name``; ``SecretError`` otherwise.

    A development value is refused unless ``DVC_DEV_SECRETS`` is set (then it is accepted with
    one warning, whatever its length: they are the simulators' values). Any other value must
    hold at least ``min_length`` characters, in development too.
    """
    if value is None or not value.strip():
        # A secret setting's production default is "" (dev_default): empty means "not set" too.
        raise SecretError(
            name, f"is not set or empty (set it, or {name}{FILE_SUFFIX} to a file holding it)"
        )
    if value in dev_values:
        if dev_secrets_allowed(env):
            _warn_once(name)
            return value
        raise SecretError(
            name,
            "is the development value published in the repository; set a secret of your own "
            f"({DEV_FLAG}=1 allows it on a development machine only)",
        )
    if len(value) < min_length:
        raise SecretError(name, f"is shorter than {min_length} characters")
    return value


def load_secret(
    name: str,
    *,
    dev_value: str | None = None,
    min_length: int = DEFAULT_MIN_LENGTH,
    env: Mapping[str, str] | None = None,
) -> str:
    """Read ``name`` (or ``name_FILE``) and check it; missing falls back to ``dev_value`` only
    when development secrets are allowed."""
    value = read_secret(name, env)
    if value is None and dev_value is not None and dev_secrets_allowed(env):
        value = dev_value
    dev_values = () if dev_value is None else (dev_value,)
    return check_secret(name, value, dev_values=dev_values, min_length=min_length, env=env)


def dev_default(dev_value: str, env: Mapping[str, str] | None = None) -> str:
    """The default of a secret setting: its development value when allowed, else ``""``, which
    ``check_secret`` refuses as empty (a published value must never be a silent default)."""
    return dev_value if dev_secrets_allowed(env) else ""


def fill_from_files(
    data: object, fields: Mapping[str, str], env: Mapping[str, str] | None = None
) -> object:
    """For a pydantic ``mode="before"`` validator: put each secret read from ``NAME_FILE`` into
    ``data`` under its field name, unless ``data`` already holds the field (an explicit argument
    or ``NAME`` itself). ``fields`` maps field names to variable names; both-set is refused."""
    if not isinstance(data, MutableMapping):
        return data
    for field, variable in fields.items():
        value = read_secret(variable, env)
        if value is not None and field not in data:
            data[field] = value
    return data
