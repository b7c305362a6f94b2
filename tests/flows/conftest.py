"""A database with the demo members, and the dialogue engine on it, for every flow test."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from bot.bootstrap import App, bootstrap, build_dialogue
from bot.flows.engine import DialogueEngine
from bot.settings import load_settings
from tests.flows.harness import Chat
from tests.support import FixedClock


@pytest.fixture
def app(database_url: str, clock: FixedClock) -> Iterator[App]:
    bot_app = bootstrap(load_settings(database_url=database_url), clock=clock)
    yield bot_app
    bot_app.close()


@pytest.fixture
def engine(app: App, embedded) -> DialogueEngine:  # type: ignore[no-untyped-def]
    return build_dialogue(app, embedded)


@pytest.fixture
def chat(engine: DialogueEngine) -> Callable[..., Chat]:
    """chat("emma.clark@example.com") -> a chat already linked to that demo member."""

    def open_chat(
        email: str | None = None, language: str | None = None, chat_id: str | None = None
    ) -> Chat:
        conversation = Chat(
            engine,
            chat_id=chat_id or email or "anonymous",
            app_language=None if email else language,
        )
        if email:
            engine.link(conversation.key, email, language)
        return conversation

    return open_chat
