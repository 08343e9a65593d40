"""Connector configuration, read once from ``DVC_VNPOST_``-prefixed environment variables.

Outbound (the hub calls VNPost): ``DVC_VNPOST_URL``, ``DVC_VNPOST_USERNAME``,
``DVC_VNPOST_PASSWORD`` and the timeouts. Inbound (VNPost calls the hub back):
``DVC_VNPOST_CALLBACK_USERS`` (who may call, with their passwords), the WS-Security replay
window, the body cap, the dedupe memory and how long a callback waits for the view of the
orders the hub created (``DVC_VNPOST_ORDER_WAIT_S``). Kafka and the registry come from
``hub.settings.Settings``. Defaults suit the local stack and its simulator. Each secret may
also come from the file ``<VARIABLE>_FILE`` names; the development secrets are the defaults only
with ``DVC_DEV_SECRETS=1`` (``hub.secrets``). The outbox checks ``require_outbound_secrets()``
and the callback endpoint ``require_callback_secrets()`` at start-up: each process needs only
its own side's secrets.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from hub.secrets import SecretError, check_secret, dev_default, fill_from_files

WSDL_PATH = Path(__file__).resolve().parent / "vnpost.wsdl"

# The local stack's credentials (the simulator's defaults). Published here, hence refused
# outside development mode.
DEV_PASSWORD = "dev-vnpost-password"  # noqa: S105
DEV_CALLBACK_USERS = "vnpost:dev-vnpost-callback-password"
PASSWORD_VARIABLE = "DVC_VNPOST_PASSWORD"  # noqa: S105 (a variable's name)
CALLBACK_USERS_VARIABLE = "DVC_VNPOST_CALLBACK_USERS"
#: Shortest password accepted in production (ours, and each callback user's).
MIN_PASSWORD_LENGTH = 16
_DEV_CALLBACK_PASSWORDS = frozenset({DEV_CALLBACK_USERS.partition(":")[2]})


#: The path of the callback endpoint (``POST`` callbacks, ``GET ?wsdl``).
CALLBACK_PATH = "/vnpost/callback"


class VnpostConfig(BaseSettings):
    """What the VNPost connector needs besides Kafka and the registry."""

    model_config = SettingsConfigDict(env_prefix="DVC_VNPOST_", frozen=True, extra="ignore")

    # -- outbound -----------------------------------------------------------------------------
    url: str = Field(
        "http://127.0.0.1:8089/vnpost/soap", description="VNPost's PostalService endpoint."
    )
    username: str = Field("dvchub", min_length=1, description="The hub's UsernameToken user.")
    password: SecretStr = Field(
        default_factory=lambda: SecretStr(dev_default(DEV_PASSWORD)),
        description="... and its password.",
    )
    operation_timeout_s: float = Field(
        10.0, gt=0, description="Connect and read timeout of one SOAP call."
    )
    wsdl_path: Path = Field(WSDL_PATH, description="The WSDL the client is built from.")

    # -- inbound (status callbacks) -------------------------------------------------------------
    callback_users: SecretStr = Field(
        default_factory=lambda: SecretStr(dev_default(DEV_CALLBACK_USERS)),
        description=(
            "Comma-separated user:password pairs VNPost signs its callbacks with; several "
            "passwords for one user are allowed (rotation)."
        ),
    )
    host: str = Field(
        "127.0.0.1", description="Address `python -m connectors.vnpost callbacks` binds to."
    )
    port: int = Field(8090, ge=1, le=65535, description="Port of the callback endpoint.")
    public_url: str | None = Field(
        None,
        description=(
            "The callback endpoint's address as its WSDL publishes it (behind a proxy, the "
            "public one); default https://HOST:PORT/vnpost/callback as served (http without "
            "TLS). Never the request's Host header, which any caller chooses."
        ),
    )
    replay_window_s: float = Field(
        300.0, gt=0, description="How old a UsernameToken's Created may be (and nonces are kept)."
    )
    clock_skew_s: float = Field(
        30.0, ge=0, description="How far in the future a Created may be (the partner's clock)."
    )
    nonce_capacity: int = Field(
        200_000, ge=1, description="Nonces remembered within the replay window (then: retry)."
    )
    max_body_bytes: int = Field(64 * 1024, ge=1024, description="Largest callback body read.")
    ack_timeout_s: float = Field(10.0, gt=0, description="Wait for the broker before a fault.")
    dedupe_capacity: int = Field(200_000, ge=1, description="Callback ids remembered.")
    dedupe_retention_days: float = Field(
        30.0, gt=0, description="How long the callback-ids topic keeps an id."
    )
    produce_threads: int = Field(4, ge=1, description="Threads running blocking Kafka calls.")
    order_wait_s: float = Field(
        5.0,
        gt=0,
        description=(
            "How long a callback for a waybill not seen yet waits for the orders view to read "
            "partner.outcomes to its end before it is refused (an order created moments ago)."
        ),
    )
    start_timeout_s: float = Field(
        120.0, gt=0, description="How long start-up may take to load the orders the hub created."
    )

    @property
    def callback_address(self) -> str:
        """Where VNPost is told (by the served WSDL) to send its callbacks."""
        return self.public_url or f"http://{self.host}:{self.port}{CALLBACK_PATH}"

    @model_validator(mode="before")
    @classmethod
    def _secret_files(cls, data: object) -> object:  # whatever pydantic was given
        return fill_from_files(
            data, {"password": PASSWORD_VARIABLE, "callback_users": CALLBACK_USERS_VARIABLE}
        )

    def require_outbound_secrets(self) -> None:
        """Start-up check of the outbox's credentials; ``SecretError`` names the variable."""
        check_secret(
            PASSWORD_VARIABLE,
            self.password.get_secret_value(),
            dev_values=(DEV_PASSWORD,),
            min_length=MIN_PASSWORD_LENGTH,
        )

    def require_callback_secrets(self) -> None:
        """Start-up check of the callback users: well formed, every password long enough and
        none published. ``SecretError`` names the variable and the entry's position only."""
        spec = self.callback_users.get_secret_value()
        check_secret(CALLBACK_USERS_VARIABLE, spec, min_length=1)  # missing or empty
        for position, pair in enumerate(spec.split(","), start=1):
            user, sep, password = pair.strip().partition(":")
            if not sep or not user or not password:
                raise SecretError(CALLBACK_USERS_VARIABLE, f"entry {position} is not user:password")
            try:
                check_secret(
                    CALLBACK_USERS_VARIABLE,
                    password,
                    dev_values=_DEV_CALLBACK_PASSWORDS,
                    min_length=MIN_PASSWORD_LENGTH,
                )
            except SecretError as exc:
                raise SecretError(
                    CALLBACK_USERS_VARIABLE, f"entry {position}: password {exc.problem}"
                ) from None

    @property
    def uses_dev_secrets(self) -> bool:
        return (
            self.password.get_secret_value() == DEV_PASSWORD
            or self.callback_users.get_secret_value() == DEV_CALLBACK_USERS
        )

    def callback_credentials(self) -> dict[str, tuple[str, ...]]:
        """user -> accepted passwords; ``ValueError`` on a malformed ``callback_users``."""
        users: dict[str, tuple[str, ...]] = {}
        for pair in self.callback_users.get_secret_value().split(","):
            user, sep, password = pair.strip().partition(":")
            if not sep or not user or not password:
                raise ValueError("DVC_VNPOST_CALLBACK_USERS must be user:password[,user:password]")
            users[user] = (*users.get(user, ()), password)
        return users
