"""``hub.secrets``: where a secret comes from and when it is refused.

Every refusal must name the variable and never carry the value. The helpers at the bottom
(``production_env``, ``refused``) run a real command without ``DVC_DEV_SECRETS``; the connectors'
``test_production_mode.py`` use them.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest
from pydantic import SecretStr

from hub import secrets
from hub.secrets import (
    DEV_FLAG,
    SecretError,
    check_secret,
    dev_default,
    dev_secrets_allowed,
    fill_from_files,
    load_secret,
    read_secret,
)
from hub.settings import REPO_ROOT

NAME = "DVC_TEST_SECRET"
GOOD = "a-good-secret-of-32-characters!!"
DEV = "published-dev-value"
PRODUCTION: dict[str, str] = {}
DEVELOPMENT = {DEV_FLAG: "1"}


def refusal(env: Mapping[str, str], *, value: str | None = None, min_length: int = 16) -> str:
    """The message of the refusal of ``NAME`` under ``env``; asserts it names the variable."""
    with pytest.raises(SecretError) as raised:
        load_secret(NAME, dev_value=DEV, min_length=min_length, env=env)
    message = str(raised.value)
    assert raised.value.variable == NAME
    assert NAME in message
    if value:
        assert value not in message
    return message


# -- refusals -------------------------------------------------------------------------------------


def test_missing_is_refused_in_production() -> None:
    assert "not set" in refusal(PRODUCTION)


def test_empty_and_blank_are_refused() -> None:
    assert "empty" in refusal({NAME: ""})
    assert "empty" in refusal({NAME: "   "})
    # An empty value is refused in development too: it is not the development value.
    assert "empty" in refusal({NAME: "", **DEVELOPMENT})


def test_short_is_refused_and_the_floor_is_a_parameter() -> None:
    short = "only-15-chars!!"
    assert "shorter than 16" in refusal({NAME: short}, value=short)
    assert "shorter than 32" in refusal({NAME: GOOD[:-1]}, value=GOOD[:-1], min_length=32)
    assert load_secret(NAME, min_length=8, env={NAME: "8-chars!"}) == "8-chars!"
    # Production rules still hold for a value of one's own on a development machine.
    assert "shorter than 16" in refusal({NAME: short, **DEVELOPMENT}, value=short)


def test_the_published_development_value_is_refused_in_production() -> None:
    message = refusal({NAME: DEV}, value=DEV)
    assert "development value" in message
    assert DEV_FLAG in message  # says how a development machine allows it
    for flag in ("0", "false", "", "no"):
        refusal({NAME: DEV, DEV_FLAG: flag}, value=DEV)


def test_a_good_secret_passes() -> None:
    assert load_secret(NAME, dev_value=DEV, env={NAME: GOOD}) == GOOD
    assert check_secret(NAME, GOOD) == GOOD


# -- files -----------------------------------------------------------------------------------------


def test_file_form_strips_one_trailing_newline(tmp_path: Path) -> None:
    path = tmp_path / "secret"
    path.write_text(GOOD + "\n", encoding="utf-8")
    assert read_secret(NAME, {f"{NAME}_FILE": str(path)}) == GOOD
    assert load_secret(NAME, env={f"{NAME}_FILE": str(path)}) == GOOD
    path.write_text(GOOD + "\r\n", encoding="utf-8")
    assert read_secret(NAME, {f"{NAME}_FILE": str(path)}) == GOOD
    path.write_text(GOOD + "\n\n", encoding="utf-8")  # one only: the rest is the secret's
    assert read_secret(NAME, {f"{NAME}_FILE": str(path)}) == GOOD + "\n"


def test_file_form_is_checked_like_the_variable(tmp_path: Path) -> None:
    path = tmp_path / "secret"
    path.write_text(DEV + "\n", encoding="utf-8")
    refusal({f"{NAME}_FILE": str(path)}, value=DEV)
    path.write_text("\n", encoding="utf-8")
    assert "empty" in refusal({f"{NAME}_FILE": str(path)})


def test_both_forms_set_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "secret"
    path.write_text(GOOD, encoding="utf-8")
    message = refusal({NAME: GOOD, f"{NAME}_FILE": str(path)}, value=GOOD)
    assert "both set" in message
    # In development too: which one wins would be a guess.
    refusal({NAME: GOOD, f"{NAME}_FILE": str(path), **DEVELOPMENT}, value=GOOD)


def test_unreadable_file_is_refused(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    message = refusal({f"{NAME}_FILE": str(missing)})
    assert "cannot be read" in message
    assert "cannot be read" in refusal({f"{NAME}_FILE": ""})


# -- development mode ----------------------------------------------------------------------------


def test_dev_flag_allows_the_dev_value_with_one_warning(caplog: pytest.LogCaptureFixture) -> None:
    secrets._warned.discard(NAME)
    with caplog.at_level(logging.WARNING, logger="hub.secrets"):
        assert load_secret(NAME, dev_value=DEV, env=DEVELOPMENT) == DEV  # missing: dev value
        assert load_secret(NAME, dev_value=DEV, env={NAME: DEV, **DEVELOPMENT}) == DEV
    warnings = [r for r in caplog.records if r.name == "hub.secrets"]
    assert len(warnings) == 1
    assert NAME in warnings[0].getMessage()
    assert DEV not in warnings[0].getMessage()


def test_dev_flag_values_and_dev_default() -> None:
    for flag in ("1", "true", "YES"):
        assert dev_secrets_allowed({DEV_FLAG: flag})
        assert dev_default(DEV, {DEV_FLAG: flag}) == DEV
    assert not dev_secrets_allowed({})
    assert dev_default(DEV, {}) == ""  # the production default, refused as "not set"


def test_the_suite_runs_with_development_secrets() -> None:
    # tests/conftest.py sets it in os.environ, so worker subprocesses inherit it.
    assert dev_secrets_allowed()


# -- pydantic settings ---------------------------------------------------------------------------


def test_fill_from_files_reads_only_absent_fields(tmp_path: Path) -> None:
    path = tmp_path / "secret"
    path.write_text(GOOD, encoding="utf-8")
    env = {f"{NAME}_FILE": str(path)}
    assert fill_from_files({}, {"secret": NAME}, env) == {"secret": GOOD}
    assert fill_from_files({"secret": "explicit"}, {"secret": NAME}, env) == {"secret": "explicit"}
    assert fill_from_files({}, {"secret": NAME}, {}) == {}


def test_a_config_reads_the_file_form(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from connectors.emc import EmcConfig

    path = tmp_path / "token"
    path.write_text(GOOD + "\n", encoding="utf-8")
    monkeypatch.delenv("DVC_EMC_TOKEN", raising=False)
    monkeypatch.setenv("DVC_EMC_TOKEN_FILE", str(path))
    config = EmcConfig()
    assert config.token == SecretStr(GOOD)
    config.require_secrets()
    monkeypatch.setenv("DVC_EMC_TOKEN", GOOD)
    with pytest.raises(SecretError, match="DVC_EMC_TOKEN and DVC_EMC_TOKEN_FILE are both set"):
        EmcConfig()


# -- helpers for the connectors' production-mode tests ---------------------------------------------

DVCHUB = Path(sys.executable).with_name("dvchub")


_SECRET_NAMES = ("SECRET", "PASSWORD", "TOKEN", "API_KEYS", "CALLBACK_USERS")


def production_env(**secrets_: str) -> dict[str, str]:
    """A clean environment without ``DVC_DEV_SECRETS``: no DVC_ variable but ``secrets_``, and
    a broker nobody listens on, so a process wrongly past its check touches no shared topic."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DVC_")}
    env.update(secrets_)
    env.update(DVC_BOOTSTRAP_SERVERS="127.0.0.1:9", DVC_TOPIC_PREFIX="test.production-mode.")
    env["PYTHONUNBUFFERED"] = "1"
    return env


def refused(command: Sequence[str], env: Mapping[str, str], variable: str) -> str:
    """Run ``command``; assert it exits non-zero naming ``variable`` and print no secret of
    ``env`` (values of its ``DVC_`` variables). Its stderr."""
    try:
        done = subprocess.run(
            list(command), env=dict(env), cwd=REPO_ROOT, capture_output=True, text=True,
            timeout=90, check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired as exc:  # it started: the check let it through
        raise AssertionError(f"{command} started instead of refusing {variable}") from exc
    assert done.returncode != 0, done.stdout + done.stderr
    assert variable in done.stderr, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    for name, value in env.items():
        if any(part in name for part in _SECRET_NAMES) and len(value) >= 4:
            assert value not in done.stdout + done.stderr, f"the value of {name} was printed"
    return done.stderr
