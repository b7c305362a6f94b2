"""The console channel: a member chats in the terminal, or a script pipes lines in.

Buttons are printed as numbered options; the member answers with the number or the label.
Each line is stored in the inbox before its turn, as a Telegram update is: a line typed
just before the process died is answered when the chat starts again (`resume`).
"""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import Callable, Iterable

from bot.flows.engine import DialogueEngine
from bot.flows.i18n import Catalogs
from bot.flows.messages import Button, Reply, Turn
from bot.flows.notices import MEMBER, OUTBOX, notice_replies
from bot.flows.pipeline import Inbound

CHANNEL = "console"


class ConsoleChat:
    def __init__(
        self, engine: DialogueEngine, catalogs: Catalogs, chat_id: str, write: Callable[[str], None]
    ) -> None:
        self.engine = engine
        self.catalogs = catalogs
        self.chat_id = chat_id
        self.write = write
        self.buttons: list[Button] = []  # the last message's: what a number picks
        self.offered: list[Button] = []  # every message's of the last answer: by label
        # Event ids are taken once per conversation, for good: each run of the chat has its own.
        self._session = uuid.uuid4().hex[:12]
        self._events = itertools.count(1)

    @property
    def key(self) -> str:
        return f"{CHANNEL}:{self.chat_id}"

    def turn_for(self, line: str) -> Turn:
        """A number of the last message's buttons, or a label of any button of the last
        answer, is a press; anything else is text."""
        event = self._event_id()
        choice = line.strip()
        language = self.engine.language_of(self.key)
        if choice.isdigit() and 1 <= int(choice) <= len(self.buttons):
            return Turn(
                CHANNEL, self.chat_id, payload=self.buttons[int(choice) - 1].payload, event_id=event
            )
        for button in self.offered:
            if choice.casefold() == self.catalogs.button_label(language, button).casefold():
                return Turn(CHANNEL, self.chat_id, payload=button.payload, event_id=event)
        return Turn(CHANNEL, self.chat_id, text=line, event_id=event)

    async def send(self, line: str) -> None:
        await self._take(self.turn_for(line))
        self.show_notices()

    async def resume(self) -> int:
        """Answers the lines an earlier run of this chat stored and never answered, in
        the order they were typed; how many."""
        pending = self.engine.pipeline.pending_of(self.key)
        for event in pending:
            stored = event.payload or {}
            turn = Turn(
                CHANNEL,
                self.chat_id,
                text=stored.get("text"),
                payload=stored.get("payload"),
                event_id=event.event_id,
            )
            await self._take(turn, stored=True)
        return len(pending)

    async def _take(self, turn: Turn, *, stored: bool = False) -> None:
        pipeline = self.engine.pipeline
        if not stored:  # the line is kept before anything is done with it
            seq = time.time_ns() // 1000  # typed order, across runs of the chat
            event = {"text": turn.text, "payload": turn.payload}
            inbound = Inbound(CHANNEL, turn.event_id or "", self.key, seq, event)
            await pipeline.receive([inbound], self.engine.seam)
        outcome = await self.engine.take(turn)
        self.show(outcome.replies)
        if outcome.delivery_id is not None:  # shown: delivered
            pipeline.replies_delivered(outcome.delivery_id, {"by": CHANNEL})

    def show_notices(self) -> None:
        """Messages no turn asked for (a person took the chat, wrote, finished), shown after
        the bot's answer: the console's delivery of the "member" outbox for this chat."""
        uow = self.engine.services.uow
        for notice in OUTBOX.take_due(uow(), [MEMBER], key_prefix=self.key):
            if notice.conversation_key == self.key:  # not "console:ann" for "console:an"
                self.show(notice_replies(notice.payload))
                OUTBOX.delivered(uow(), notice.id)

    async def send_payload(self, payload: str) -> None:
        event = self._event_id()
        await self._take(Turn(CHANNEL, self.chat_id, payload=payload, event_id=event))

    def _event_id(self) -> str:
        return f"{self.chat_id}-{self._session}-{next(self._events)}"

    def show(self, replies: Iterable[Reply]) -> None:
        language = self.engine.language_of(self.key)
        self.buttons, self.offered = [], []
        for reply in replies:
            self.write(f"bot> {self.catalogs.reply_text(language, reply)}")
            if reply.buttons:  # numbered from 1 in each message
                self.buttons = list(reply.buttons)
                self.offered += reply.buttons
            for number, button in enumerate(reply.buttons, 1):
                label = self.catalogs.button_label(language, button)
                self.write(f"  [{number}] {label}")
