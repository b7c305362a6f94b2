"""Push a turn, pop the replies: the dialogue engine driven in-process, as a member would."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from bot.flows.engine import DialogueEngine
from bot.flows.i18n import default_catalogs
from bot.flows.messages import Reply, Turn

_events = itertools.count(1)


@dataclass
class Said:
    """What the bot answered to one turn, rendered in the member's language."""

    replies: list[Reply]
    texts: list[str]
    buttons: list[tuple[str, str]]  # (label, payload)
    language: str = "it"  # what the replies were written in

    @property
    def text(self) -> str:
        return "\n".join(self.texts)

    @property
    def keys(self) -> list[str]:
        return [r.key for r in self.replies]


@dataclass
class Chat:
    engine: DialogueEngine
    chat_id: str = "member-1"
    channel: str = "test"
    app_language: str | None = None  # the member's app language (Telegram's language_code)
    last: Said | None = field(default=None)

    @property
    def key(self) -> str:
        return f"{self.channel}:{self.chat_id}"

    async def say(self, text: str) -> Said:
        return await self._turn(
            Turn(
                self.channel,
                self.chat_id,
                text=text,
                event_id=str(next(_events)),
                language_hint=self.app_language,
            )
        )

    async def press(self, label_or_payload: str | int) -> Said:
        """A button of the last answer, by its number (1-based), label or payload."""
        assert self.last is not None and self.last.buttons, "no buttons to press"
        if isinstance(label_or_payload, int):
            payload = self.last.buttons[label_or_payload - 1][1]
        else:
            matches = [p for label, p in self.last.buttons if label_or_payload in (label, p)]
            assert matches, f"no button {label_or_payload!r} in {self.last.buttons}"
            payload = matches[0]
        return await self._turn(
            Turn(
                self.channel,
                self.chat_id,
                payload=payload,
                event_id=str(next(_events)),
                language_hint=self.app_language,
            )
        )

    async def tap(self, payload: str) -> Said:
        """A button of an older message, still on the member's screen."""
        return await self._turn(
            Turn(
                self.channel,
                self.chat_id,
                payload=payload,
                event_id=str(next(_events)),
                language_hint=self.app_language,
            )
        )

    async def _turn(self, turn: Turn) -> Said:
        replies = await self.engine.handle(turn)
        language = self.engine.language_of(self.key)
        catalogs = default_catalogs()
        said = Said(
            replies,
            [catalogs.reply_text(language, r) for r in replies],
            [(catalogs.button_label(language, b), b.payload) for r in replies for b in r.buttons],
            language,
        )
        self.last = said
        return said
