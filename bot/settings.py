"""Typed settings: config.yml read once, every key overridable by a CPS_* variable."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import yaml
from platformdirs import user_cache_dir
from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SECRET_KEYS = frozenset(
    {
        "telegram_token",
        "telegram_webhook_secret",
        "slack_bot_token",
        "slack_app_token",
        "slack_signing_secret",
        "helpdesk_token",
        "helpdesk_webhook_secret",
        "rasa_auth_token",
        "smtp_password",
        "keycloak_client_secret",
        "web_secret_key",
        "metrics_token",
    }
)


class SettingsError(Exception):
    """A setting is missing or wrong; the message names the key."""


def _iso_639_1(value: str) -> str:
    if len(value) != 2 or not value.isalpha():
        raise ValueError("must be a two-letter ISO 639-1 code such as 'it'")
    return value.lower()


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CPS_", extra="forbid")

    database_url: str = ""
    data_dir: str = ""
    default_language: str = "it"
    # The languages members are served in, the one list every part reads (router, Telegram
    # command menus, FAQ, mail, web page); default_language must be one of them.
    supported_languages: list[str] = Field(
        default_factory=lambda: ["it", "en", "de", "fr", "es"], min_length=1
    )
    mail_sender: str = "donotreply@canoneurope.com"

    # The members' web app (`cps-bot web`): the password page. Links are
    # `{web_base_url}/password/{token}`; the app listens on web_listen_host:web_listen_port
    # (behind TLS in production). CPS_WEB_SECRET_KEY signs its forms (environment only).
    # Its `GET /metrics` (Prometheus; also beside the webhook) is open while
    # CPS_METRICS_TOKEN (environment only) is unset, for a scraper on the internal network;
    # once it is set, a scrape must send `Authorization: Bearer <token>` (else 401).
    web_base_url: str
    web_listen_host: str = "127.0.0.1"
    web_listen_port: int = Field(default=8090, ge=1, le=65535)
    # Password submissions taken per client address in a sliding window (in-process).
    web_rate_limit_posts: int = Field(default=10, ge=1, le=10_000)
    web_rate_limit_window_seconds: float = Field(default=60, gt=0, le=86_400)

    # Log lines on stderr: "text" (readable lines) or "json" (one JSON object per line, for
    # a log collector); `--log-format` on `cps-bot run`, `worker` and `web` overrides it.
    # Either way a turn's lines carry its conversation's pseudonym, never member text.
    log_format: Literal["text", "json"] = "text"

    # R1 and the rules' numbers.
    password_link_ttl_minutes: int = Field(gt=0, le=7 * 24 * 60)
    # Refused passwords a link takes on the page before it stops working.
    password_link_max_attempts: int = Field(default=5, ge=1, le=50)
    invitation_points: int = Field(gt=0)
    invoice_currency: str = Field(min_length=3, max_length=3)
    card_due_days: int = Field(ge=0, le=120)
    bank_transfer_due_days: int = Field(ge=0, le=120)

    # Where a password set on the page goes: "embedded" (argon2id hashes in the database)
    # or "keycloak" (its admin REST API, client credentials; CPS_KEYCLOAK_CLIENT_SECRET).
    identity_backend: Literal["embedded", "keycloak"] = "embedded"
    keycloak_url: str = ""  # e.g. https://id.example.com (no /realms/... part)
    keycloak_realm: str = ""
    keycloak_client_id: str = ""
    keycloak_timeout_seconds: float = Field(default=5, gt=0, le=60)

    # Understanding: "embedded" (in-process, the default) or "rasa" (a Rasa server over HTTP,
    # answered by the embedded engine while it is down).
    nlu_engine: Literal["embedded", "rasa"] = "embedded"
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_timeout_seconds: float = Field(default=2.0, gt=0, le=30)
    # Caches (embedded model, Rasa virtual environment and models). Empty: the user cache dir.
    cache_dir: str = ""

    # Telegram (members' channel). The token and the webhook secret come from the environment.
    telegram_mode: Literal["polling", "webhook"] = "polling"
    telegram_base_url: str = ""  # empty: Telegram's own Bot API; else e.g. a local Bot API server
    telegram_webhook_url: str = ""  # public https URL Telegram posts updates to (webhook mode)
    telegram_listen_host: str = "127.0.0.1"
    telegram_listen_port: int = Field(default=8080, ge=1, le=65535)
    telegram_rate_limit_per_second: float = Field(default=30, ge=0)  # 0: no throttling
    telegram_max_retries: int = Field(default=3, ge=0, le=10)  # after a 429 or a 5xx
    telegram_retry_backoff_seconds: float = Field(default=0.5, ge=0, le=60)
    telegram_concurrent_updates: int = Field(default=64, ge=1, le=1024)
    telegram_poll_timeout_seconds: int = Field(default=30, ge=0, le=50)
    telegram_typing_after_seconds: float = Field(default=0, ge=0, le=60)  # 0: on every turn

    # Slack (staff). "off", "http" (signed requests on the ASGI app's /slack/events) or
    # "socket" (Socket Mode, needs CPS_SLACK_APP_TOKEN). Tokens and the signing secret come
    # from the environment only.
    slack_mode: Literal["off", "http", "socket"] = "off"
    slack_base_url: str = ""  # empty: Slack's Web API; else e.g. a local fake, ".../api/"
    slack_staff_channel: str = ""  # channel id where escalation cards are posted
    slack_staff_users: list[str] = Field(default_factory=list)  # user ids allowed to act
    slack_staff_groups: list[str] = Field(default_factory=list)  # user group ids allowed too
    slack_listen_host: str = "127.0.0.1"  # the ASGI app in http mode (when not webhook)
    slack_listen_port: int = Field(default=3000, ge=1, le=65535)

    # Live handoff: an escalation unclaimed after this long gets a reminder in the staff
    # channel and a message to the member (once).
    handoff_claim_sla_minutes: float = Field(default=15, gt=0, le=24 * 60)
    # Priority support's helpdesk: escalations POSTed as JSON (empty: not used). The bearer
    # token is CPS_HELPDESK_TOKEN; status updates come back signed with
    # CPS_HELPDESK_WEBHOOK_SECRET on POST /helpdesk/events.
    helpdesk_url: str = ""
    helpdesk_timeout_seconds: float = Field(default=5, gt=0, le=60)

    # E-mail (links, codes, invitations, invoices) from `mail_sender`. Empty `smtp_host`: no
    # SMTP, mail stays in the outbox and the console shows it. Else the running bot (and
    # `cps-bot mail deliver`) sends it there: "starttls" upgrades the connection on
    # smtp_port (587), "tls" is TLS from the start (465), "none" is plain (a relay on this
    # machine only). With `smtp_username` it logs in with CPS_SMTP_PASSWORD.
    smtp_host: str = ""
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_security: Literal["starttls", "tls", "none"] = "starttls"
    smtp_username: str = ""
    smtp_timeout_seconds: float = Field(default=10, gt=0, le=300)

    # Deliveries to Slack, the helpdesk and members (kept in the database until they land):
    # retried with exponential backoff from `delivery_backoff_seconds` up to the maximum.
    delivery_poll_seconds: float = Field(default=2, gt=0, le=60)
    delivery_backoff_seconds: float = Field(default=1, gt=0, le=600)
    delivery_backoff_max_seconds: float = Field(default=300, gt=0, le=86400)
    # The inbox: an event whose turn failed is tried again after `inbox_retry_seconds`
    # (also how often stored events nobody handles are looked for), and set aside after
    # `inbox_max_attempts` (`cps-bot inbox list`, `cps-bot inbox replay ID`).
    inbox_retry_seconds: float = Field(default=5, gt=0, le=600)
    inbox_max_attempts: int = Field(default=3, ge=1, le=100)
    # PostgreSQL: with N > 0 a turn's transaction runs on one of N threads, so the event
    # loop serves other chats while it waits for the server; 0 (the default, measured
    # faster on 2 cores: bench/scale.py, bench/telegram.py) runs turns on the loop, one at
    # a time. SQLite's turns always run on the loop.
    turn_threads: int = Field(default=0, ge=0, le=64)
    # Retention (`cps-bot privacy purge`, and hourly in the running bot): chats idle, events
    # handled, deliveries landed and transcripts of escalations resolved longer ago than
    # `retention_days` are deleted; mail sent longer ago than `mail_retention_days`.
    retention_days: int = Field(default=365, ge=1)
    mail_retention_days: int = Field(default=30, ge=1)

    telegram_token: SecretStr | None = None
    telegram_webhook_secret: SecretStr | None = None
    slack_bot_token: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    helpdesk_token: SecretStr | None = None
    helpdesk_webhook_secret: SecretStr | None = None
    rasa_auth_token: SecretStr | None = None
    smtp_password: SecretStr | None = None
    keycloak_client_secret: SecretStr | None = None
    web_secret_key: SecretStr | None = None
    metrics_token: SecretStr | None = None

    @field_validator("default_language")
    @classmethod
    def _language_code(cls, value: str) -> str:
        return _iso_639_1(value)

    @field_validator("supported_languages")
    @classmethod
    def _language_codes(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(_iso_639_1(code) for code in value))

    @model_validator(mode="after")
    def _default_is_supported(self) -> Settings:
        if self.default_language not in self.supported_languages:
            raise ValueError(
                f"default_language {self.default_language!r} is not in supported_languages "
                f"{self.supported_languages}"
            )
        return self

    @field_validator("web_base_url")
    @classmethod
    def _public_address(cls, value: str) -> str:
        """https, or plain http on this machine only: the link's token travels in the URL."""
        parts = urlsplit(value.strip())
        local = parts.hostname in ("127.0.0.1", "localhost", "::1")
        if not parts.hostname or parts.scheme not in ("https", "http"):
            raise ValueError("must be an absolute https address such as https://cps.example.com")
        if parts.scheme == "http" and not local:
            raise ValueError("must be https (http only for 127.0.0.1 or localhost)")
        if parts.query or parts.fragment:
            raise ValueError("must be an address without ?query or #fragment")
        return value.strip().rstrip("/")

    @field_validator("mail_sender")
    @classmethod
    def _looks_like_address(cls, value: str) -> str:
        if "@" not in value:
            raise ValueError("must be an e-mail address")
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _YamlSource(settings_cls))

    @property
    def resolved_database_url(self) -> str:
        """The configured URL, or a SQLite file under ./var/ when none is set."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{Path.cwd() / 'var' / 'cps.db'}"

    @property
    def resolved_cache_dir(self) -> Path:
        return Path(self.cache_dir) if self.cache_dir else Path(user_cache_dir("cps-bot"))

    @property
    def resolved_data_dir(self) -> Path:
        return Path(self.data_dir) if self.data_dir else PROJECT_ROOT / "data"


class _YamlSource(PydanticBaseSettingsSource):
    """Reads config.yml (or the file named by CPS_CONFIG); refuses secrets written there."""

    def __init__(self, settings_cls: type[BaseSettings]) -> None:
        super().__init__(settings_cls)
        self._values = _read_yaml(config_path())

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return self._values.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(self._values)


def config_path() -> Path:
    return Path(os.environ.get("CPS_CONFIG") or PROJECT_ROOT / "config.yml")


def _read_yaml(path: Path) -> dict[str, Any]:
    if not path.exists():
        raise SettingsError(f"configuration file {path} not found (set CPS_CONFIG)")
    try:
        values = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise SettingsError(f"configuration file {path} is not valid YAML: {exc}") from exc
    if not isinstance(values, dict):
        raise SettingsError(f"configuration file {path} must be a mapping of keys to values")
    leaked = sorted(SECRET_KEYS & values.keys())
    if leaked:
        raise SettingsError(
            f"setting '{leaked[0]}' is a secret: remove it from {path.name} and set "
            f"CPS_{leaked[0].upper()} in the environment instead"
        )
    return values


def load_settings(**overrides: Any) -> Settings:
    """Build settings once; a bad or missing value raises SettingsError naming the key."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(part) for part in first["loc"]) or "?"
        message = str(first["msg"])
        problem = (
            "is missing" if first["type"] == "missing" else f": {message[0].lower()}{message[1:]}"
        )
        sep = " " if first["type"] == "missing" else ""
        env = f"CPS_{key.upper()}"
        raise SettingsError(f"setting '{key}'{sep}{problem} (config.yml or {env})") from exc
