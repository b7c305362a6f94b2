"""The password page in-process: the demo members on SQLite and PostgreSQL, the members'
web app built as `cps-bot web` builds it, driven by httpx (ASGITransport, no port)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bot.bootstrap import App, bootstrap, build_identity_store
from bot.domain.models import OutboxEmail
from bot.domain.ports import IdentityStore
from bot.domain.services import accounts, conversations
from bot.domain.services.conversations import ConversationState
from bot.domain.types import PasswordLinkPurpose
from bot.seed import load_demo_members
from bot.settings import Settings, load_settings
from bot.web.app import build_web_app
from tests.conftest import DATA_DIR

SITE = "https://cps.example.com"
GIULIA = "giulia.rossi@example.com"  # Italian, password not set
EMMA = "emma.clark@example.com"  # English
GOOD_PASSWORD = "Zebra-Lantern-Quokka-1987"
CSRF = re.compile(r'name="csrf" value="([0-9a-f]{64})"')


class MonotonicClock:
    """The per-address limiter's clock, moved by hand (nothing sleeps)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Site:
    """The bot's app (database, clock) and its web app with what it was built with."""

    app: App
    settings: Settings
    identity: IdentityStore
    asgi: Any
    limiter_clock: MonotonicClock
    notified: list[str]

    def client(self, address: str = "198.51.100.10") -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=self.asgi, client=(address, 50000))
        return httpx.AsyncClient(transport=transport, base_url=SITE)

    def link(self, email: str = GIULIA) -> str:
        """A fresh reset link mailed to `email`: its path on the site."""
        accounts.send_password_link(self.app.uow(), email, PasswordLinkPurpose.RESET)
        return self.last_link(email).removeprefix(SITE)

    def last_link(self, email: str = GIULIA) -> str:
        with self.app.uow() as uow:
            query = select(OutboxEmail).where(OutboxEmail.recipient == email)
            mail = uow.session.scalars(query.order_by(OutboxEmail.id.desc())).first()
            assert mail is not None
            return str(mail.template_data["link"])

    def link_chat(self, key: str, email: str, language: str) -> None:
        conversation = ConversationState(key, email=email, language=language)
        assert conversations.save_conversation(self.app.uow(), conversation)


def make_site(
    engine: Any, clock: Any, identity: IdentityStore | None = None, **overrides: Any
) -> Site:
    url = engine.url.render_as_string(hide_password=False)
    settings = load_settings(database_url=url, web_base_url=SITE, **overrides)
    app = bootstrap(settings, clock=clock)
    load_demo_members(app.uow(), DATA_DIR)
    limiter_clock, notified = MonotonicClock(), []
    identity = identity or build_identity_store(settings)
    asgi = build_web_app(
        settings, app.uow, identity, on_notified=notified.append, clock=limiter_clock
    )
    return Site(app, settings, identity, asgi, limiter_clock, notified)


@pytest.fixture
def site_factory(engine, clock) -> AsyncIterator[Callable[..., Site]]:  # type: ignore[no-untyped-def]
    """`site_factory(identity=..., **settings)`: a site on the test's database."""
    built: list[Site] = []

    def build(identity: IdentityStore | None = None, **overrides: Any) -> Site:
        built.append(make_site(engine, clock, identity, **overrides))
        return built[-1]

    yield build  # type: ignore[misc]
    for site in built:
        try:
            site.identity.close()
        finally:
            site.app.close()


@pytest.fixture
def site(site_factory) -> Site:  # type: ignore[no-untyped-def]
    return site_factory()


async def open_form(client: httpx.AsyncClient, path: str) -> str:
    """GET the page (which sets the form cookie); the form's CSRF value."""
    page = await client.get(path)
    assert page.status_code == 200, page.text
    found = CSRF.search(page.text)
    assert found is not None
    return found.group(1)


async def submit(
    client: httpx.AsyncClient, path: str, password: str, confirmation: str | None = None
) -> httpx.Response:
    csrf = await open_form(client, path)
    again = password if confirmation is None else confirmation
    form = {"csrf": csrf, "password": password, "confirmation": again}
    return await client.post(path, data=form)
