"""The one place that wires settings, engine, sessions and the domain's ports."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from bot.domain.ports import Clock, IdentityStore, MembershipNumbers, Policy, SystemClock
from bot.domain.rules import PaymentTerms
from bot.domain.unit_of_work import UnitOfWork
from bot.settings import Settings, SettingsError


def make_engine(url: str) -> Engine:
    """SQLite gets a file, WAL, foreign keys and BEGIN IMMEDIATE so writers queue, never clash."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_recycle=1800, hide_parameters=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30}, hide_parameters=True)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # let the "begin" hook below open transactions
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        # WAL's recommended level: never corrupts; a power cut may lose the last commit.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        # What is deleted or scrubbed (a delivered code, a forgotten chat) is overwritten
        # in the file too, not left readable in a free page.
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        read_only = connection.get_execution_options().get("cps_read_only")
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


def make_chat_engine(url: str) -> Engine | None:
    """PostgreSQL: a small pool of its own for chat state, in autocommit and without waiting
    for the WAL flush (a crash may lose a conversation's last instant, never domain data).
    None elsewhere: SQLite's chat state goes through the domain's engine."""
    if make_url(url).get_backend_name() != "postgresql":
        return None
    return create_engine(
        url,
        hide_parameters=True,
        isolation_level="AUTOCOMMIT",
        pool_reset_on_return=None,  # autocommit: no transaction is ever left to roll back
        connect_args={"options": "-c synchronous_commit=off"},
        pool_size=4,
        max_overflow=8,
        pool_recycle=1800,
    )


def policy_from(settings: Settings) -> Policy:
    return Policy(
        mail_sender=settings.mail_sender,
        web_base_url=settings.web_base_url,
        password_link_ttl_minutes=settings.password_link_ttl_minutes,
        password_link_max_attempts=settings.password_link_max_attempts,
        invitation_points=settings.invitation_points,
        invoice_currency=settings.invoice_currency,
        payment_terms=PaymentTerms(settings.card_due_days, settings.bank_transfer_due_days),
        retention_days=settings.retention_days,
        mail_retention_days=settings.mail_retention_days,
    )


def check_identity_settings(settings: Settings) -> None:
    """SettingsError naming what `identity_backend: keycloak` still needs."""
    if settings.identity_backend != "keycloak":
        return
    for key in ("keycloak_url", "keycloak_realm", "keycloak_client_id"):
        if not getattr(settings, key).strip():
            raise SettingsError(
                f"setting '{key}' is missing: identity_backend keycloak needs it "
                f"(config.yml or CPS_{key.upper()})"
            )
    secret = settings.keycloak_client_secret
    if secret is None or not secret.get_secret_value().strip():
        raise SettingsError(
            "CPS_KEYCLOAK_CLIENT_SECRET is not set: identity_backend keycloak needs the "
            "client's secret (environment only)"
        )


def build_identity_store(settings: Settings) -> IdentityStore:
    """Where passwords set on the password page go (`identity_backend`). Built by the
    commands that serve the page only, so a Keycloak setting missing stops no other one."""
    check_identity_settings(settings)
    if settings.identity_backend == "embedded":
        from bot.domain.identity_embedded import EmbeddedIdentityStore

        return EmbeddedIdentityStore()
    from bot.domain.identity_keycloak import KeycloakIdentityStore

    assert settings.keycloak_client_secret is not None
    return KeycloakIdentityStore(
        settings.keycloak_url,
        settings.keycloak_realm,
        settings.keycloak_client_id,
        settings.keycloak_client_secret.get_secret_value(),
        timeout=settings.keycloak_timeout_seconds,
    )


@dataclass
class App:
    """Everything a handler or command needs, built once at start-up."""

    settings: Settings
    engine: Engine
    uow: Callable[[], UnitOfWork]
    clock: Clock
    chat_engine: Engine | None = None

    def close(self) -> None:
        self.engine.dispose()
        if self.chat_engine is not None:
            self.chat_engine.dispose()


def build_dialogue(app: App, parser: Any) -> Any:
    """The dialogue engine on this app's database, with the given NLU parser."""
    from bot.flows.context import Services
    from bot.flows.engine import DialogueEngine
    from bot.flows.registry import build_registry
    from bot.flows.seam import seam_for
    from bot.nlu.entities.dealers import DealerDirectory
    from bot.nlu.entities.products import ProductCatalogue

    data = app.settings.resolved_data_dir
    services = Services(
        uow=app.uow,
        catalogue=ProductCatalogue.from_yaml(data / "catalogue.yml"),
        dealers=DealerDirectory.from_yaml(data / "dealers.yml"),
        clock=app.clock,
        default_language=app.settings.default_language,
        faq=data / "faq",
        languages=tuple(app.settings.supported_languages),
    )
    seam = seam_for(app.engine.dialect.name, app.settings.turn_threads)
    engine = DialogueEngine(services, parser, build_registry(), seam=seam)
    engine.pipeline.max_attempts = app.settings.inbox_max_attempts
    return engine


def bootstrap(
    settings: Settings,
    *,
    clock: Clock | None = None,
    numbers: MembershipNumbers | None = None,
) -> App:
    engine = make_engine(settings.resolved_database_url)
    chat_engine = make_chat_engine(settings.resolved_database_url)
    sessions: Callable[[], Session] = sessionmaker(engine, expire_on_commit=False)
    policy = policy_from(settings)

    def new_uow() -> UnitOfWork:
        return UnitOfWork(
            sessions, policy=policy, clock=clock, numbers=numbers, chat_engine=chat_engine
        )

    return App(
        settings=settings,
        engine=engine,
        uow=new_uow,
        clock=clock or SystemClock(),
        chat_engine=chat_engine,
    )
