"""The fake Bot API, a demo database, and the complete bot built by the factory on both."""

from __future__ import annotations

import asyncio
import datetime as dtm
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from telegram.ext import Application, ApplicationBuilder

from bot.bootstrap import bootstrap, build_dialogue
from bot.flows.engine import DialogueEngine, TurnOutcome
from bot.flows.messages import Reply, Turn
from bot.handlers.telegram import ALLOWED_UPDATES, build_application
from bot.handlers.webhook import SECRET_HEADER, build_webhook_app
from bot.settings import Settings, load_settings
from tests.channels.fake_helpdesk import FakeHelpdesk
from tests.channels.fake_telegram import FakeTelegram

TOKEN = "123456:TEST-token_abcdefghijklmnopqrstuv"
SECRET = "s3cret_webhook-token"
WEBHOOK_URL = "https://bot.example.com/telegram/hook"


@pytest.fixture(autouse=True)
def _telegram_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")  # PTB 22.2+ warns on every RetryAfter otherwise
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("CPS_TELEGRAM_TOKEN", TOKEN)
    monkeypatch.setenv("CPS_TELEGRAM_WEBHOOK_SECRET", SECRET)


@pytest.fixture(scope="session")
def nlu_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("telegram-nlu")  # trained once, by the first bot built


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    server = FakeTelegram(TOKEN)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def helpdesk() -> AsyncIterator[FakeHelpdesk]:
    """The fake priority-support helpdesk (tickets by idempotency key, faults on demand)."""
    server = FakeHelpdesk()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def settings(fake: FakeTelegram, database_url: str, nlu_cache: Path) -> Settings:
    return load_settings(
        database_url=database_url,
        cache_dir=str(nlu_cache),
        telegram_base_url=fake.base_url,
        telegram_rate_limit_per_second=0,
        telegram_max_retries=2,
        telegram_retry_backoff_seconds=0.01,
        telegram_webhook_url=WEBHOOK_URL,
        telegram_typing_after_seconds=0,  # typing first on every turn, so tests can see it
        inbox_retry_seconds=0.2,
    )


@asynccontextmanager
async def polling_bot(settings: Settings, **factory: Any) -> AsyncIterator[Application]:
    builder = ApplicationBuilder().get_updates_connection_pool_size(2)
    application = build_application(builder, settings, **factory)
    await application.initialize()
    assert application.updater is not None
    await application.updater.start_polling(
        poll_interval=0, timeout=dtm.timedelta(seconds=1), allowed_updates=ALLOWED_UPDATES
    )
    await application.start()
    try:
        yield application
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()


@pytest.fixture
def bot(settings: Settings) -> Callable[..., AbstractAsyncContextManager[Application]]:
    """`async with bot() as application:` the complete bot, polling the fake."""
    return lambda **factory: polling_bot(settings, **factory)


@asynccontextmanager
async def webhook_bot(settings: Settings, **factory: Any) -> AsyncIterator[httpx.AsyncClient]:
    """The complete bot behind the project's Starlette app, started by its lifespan and
    driven in-process (httpx.ASGITransport): a client posting as Telegram would."""
    application = build_application(ApplicationBuilder().updater(None), settings, **factory)
    asgi = build_webhook_app(application, settings)
    async with asgi.router.lifespan_context(asgi):
        transport = httpx.ASGITransport(app=asgi)
        async with httpx.AsyncClient(
            transport=transport, base_url="https://bot.example.com"
        ) as client:
            client.application = application  # type: ignore[attr-defined]
            yield client


@pytest.fixture
def webhook(settings: Settings) -> Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]:
    """`async with webhook() as client:` the complete bot in webhook mode."""
    return lambda **factory: webhook_bot(settings, **factory)


def poster(client: httpx.AsyncClient) -> Callable[[dict[str, Any]], Awaitable[None]]:
    """Delivers updates the way Telegram does: POST with the secret header."""

    async def post(update: dict[str, Any]) -> None:
        answer = await client.post("/telegram/hook", json=update, headers={SECRET_HEADER: SECRET})
        assert answer.status_code == 200, answer.text

    return post


class Member:
    """A member writing to the bot and pressing its buttons, waiting for the answers."""

    def __init__(
        self,
        fake: FakeTelegram,
        chat_id: int,
        language: str | None = "it",
        deliver: Callable[[dict[str, Any]], Awaitable[Any]] | None = None,
    ) -> None:
        self.fake = fake
        self.chat_id = chat_id
        self.language = language
        self.deliver = deliver

    async def send(self, update: dict[str, Any], *expect: str) -> list[str]:
        """Deliver an update; the texts of the bot's new messages once every `expect` text is
        in one of them or in one of their button labels."""
        before = len(self.fake.sent(self.chat_id))
        if self.deliver is None:
            self.fake.inject(update)
        else:
            await self.deliver(update)

        def answered() -> list[str] | None:
            new = self.fake.called("sendMessage", chat_id=self.chat_id)[before:]
            texts = [c.params["text"] for c in new]
            labels = [b["text"] for c in new for row in _keyboard(c.params) for b in row]
            seen = "\n".join(texts + labels)
            return texts if new and all(e in seen for e in expect) else None

        return await self.fake.wait_for(answered)

    def message(self, text: str | None = None, **content: Any) -> dict[str, Any]:
        return self.fake.message_update(self.chat_id, text, language=self.language, **content)

    async def say(self, text: str, *expect: str) -> list[str]:
        return await self.send(self.message(text), *expect)

    async def press(self, label: str, *expect: str) -> list[str]:
        update = self.fake.press_update(self.chat_id, label, language=self.language)
        return await self.send(update, *expect)


@pytest.fixture
def member(fake: FakeTelegram) -> Callable[..., Member]:
    return lambda chat_id, language="it", deliver=None: Member(fake, chat_id, language, deliver)


def _keyboard(params: dict[str, Any]) -> list[list[dict[str, Any]]]:
    return (params.get("reply_markup") or {}).get("inline_keyboard", [])


class StubEngine(DialogueEngine):
    """The real engine (inbox, one transaction, outbox) answering what a test needs where
    the flows would never say it: `answer(turn)` gives the replies, or raises."""

    def __init__(self, real: DialogueEngine, answer) -> None:  # type: ignore[no-untyped-def]
        super().__init__(real.services, real.parser, real.flows, seam=real.seam)
        self.answer = answer

    async def take(self, turn: Turn, answer: list[Reply] | None = None) -> TurnOutcome:
        if answer is None:
            result = self.answer(turn)
            answer = await result if asyncio.iscoroutine(result) else result
        return await super().take(turn, answer=answer)


@pytest.fixture
def stub_engine(settings):  # type: ignore[no-untyped-def]
    """`stub_engine(answer)`: a StubEngine on the test's database, closed after the test."""
    opened = []

    def make(answer):  # type: ignore[no-untyped-def]
        app = bootstrap(settings)
        opened.append(app)
        return StubEngine(build_dialogue(app, None), answer)

    yield make
    for app in opened:
        app.close()
