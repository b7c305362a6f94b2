"""The demo members on SQLite, the dialogue engine on them (the clock moved by hand), the
console channel to chat through, and `/metrics` read the way Prometheus reads it (over
httpx's ASGI transport, as the web tests do: Starlette's TestClient warns on httpx)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.bootstrap import App, bootstrap, build_dialogue, build_identity_store
from bot.flows.engine import DialogueEngine
from bot.flows.i18n import default_catalogs
from bot.handlers.console import ConsoleChat
from bot.settings import Settings, load_settings
from bot.web.app import build_web_app
from tests.support import FixedClock

EMMA = "emma.clark@example.com"  # English, 400 points


@pytest.fixture
def app(database_url: str, clock: FixedClock) -> Iterator[App]:
    bot_app = bootstrap(load_settings(database_url=database_url), clock=clock)
    yield bot_app
    bot_app.close()


@pytest.fixture
def dialogue(app: App, embedded) -> DialogueEngine:  # type: ignore[no-untyped-def]
    return build_dialogue(app, embedded)


@pytest.fixture
def emma(dialogue: DialogueEngine) -> ConsoleChat:
    """Emma's console chat ("console:emma"), linked to her account."""
    chat = ConsoleChat(dialogue, default_catalogs(), "emma", lambda _line: None)
    dialogue.link(chat.key, EMMA, "en")
    return chat


@dataclass(frozen=True)
class Scrape:
    """One `/metrics` answer, parsed by prometheus-client's own parser."""

    samples: dict[tuple[str, frozenset[tuple[str, str]]], float]
    families: frozenset[str]

    def value(self, sample: str, **labels: str) -> float:
        """A sample's value; 0 when it is absent (a counter not yet moved)."""
        return self.samples.get((sample, frozenset(labels.items())), 0.0)

    def labelled(self, sample: str, label: str) -> dict[str, float]:
        """label value -> value, for every sample of that name."""
        return {
            dict(labels)[label]: value
            for (name, labels), value in self.samples.items()
            if name == sample and label in dict(labels)
        }


@asynccontextmanager
async def served(app: App, settings: Settings | None = None) -> AsyncIterator[httpx.AsyncClient]:
    """The members' web app on `app`'s database, built as `cps-bot web` builds it."""
    settings = settings or app.settings
    identity = build_identity_store(settings)
    transport = httpx.ASGITransport(app=build_web_app(settings, app.uow, identity))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://cps.test") as client:
            yield client
    finally:
        identity.close()


async def scrape(client: httpx.AsyncClient, **headers: str) -> Scrape:
    response = await client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    families = list(text_string_to_metric_families(response.text))
    found = [
        ((sample.name, frozenset(sample.labels.items())), sample.value)
        for family in families
        for sample in family.samples
    ]
    samples = dict(found)
    assert len(samples) == len(found), "a sample is served twice"
    return Scrape(samples, frozenset(family.name for family in families))
