"""The console channel keeps each line in the inbox before its turn, as Telegram does."""

from __future__ import annotations

import pytest

from bot.flows.i18n import default_catalogs
from bot.handlers.console import ConsoleChat


class DiesMidTurn:
    """An NLU that takes the process down while it reads the line."""

    local = True

    async def parse(self, text: str, language: str | None) -> object:
        raise RuntimeError("the process died here")


async def test_a_line_typed_as_the_process_died_is_answered_on_the_next_run(engine):
    printed: list[str] = []
    first_run = ConsoleChat(engine, default_catalogs(), "lukas", printed.append)
    engine.link(first_run.key, "lukas.weber@example.com", "en")
    understanding, engine.parser = engine.parser, DiesMidTurn()
    with pytest.raises(RuntimeError):
        await first_run.send("how many points do I have?")
    assert printed == []  # no answer: the member's line was kept all the same

    engine.parser = understanding  # the chat is started again
    next_run = ConsoleChat(engine, default_catalogs(), "lukas", printed.append)
    assert await next_run.resume() == 1
    assert any("You have 2,600 points" in line for line in printed)
    assert await next_run.resume() == 0  # answered once
