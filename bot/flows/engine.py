"""The dialogue engine: one path for every channel, Turn in, Replies out.

A turn: take the event id once -> load the conversation -> understand (buttons first,
then NLU) -> global commands, digressions, or the active flow's step -> save the
conversation with a version check (redo the turn if another process saved first).

Turns take the channel's event loop one at a time, in arrival order (`_work`): when
many chats write at once, the first answer leaves after one turn's work rather than after
all of them, as it would if their turns took slices of the loop in turn. Within a turn
the loop still serves network I/O between three short slices (load; understand and
route; save), so answers being sent and polls are not held up behind it. An NLU server
(Rasa) is awaited outside that gate, so other chats' turns go on meanwhile. (A worker
thread measured worse: with the GIL, the loop and the thread slowed each other down; see
bench/telegram.py.)
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict, defaultdict
from collections.abc import Callable
from typing import Any

from bot.domain.services import conversations
from bot.domain.services.accounts import account_language
from bot.domain.services.conversations import ConversationState
from bot.flows.base import Registry
from bot.flows.context import Context, Services
from bot.flows.messages import Reply, Turn
from bot.flows.router import route
from bot.flows.safety import looks_like_password
from bot.nlu.engines import Parser
from bot.nlu.result import ParseResult

log = logging.getLogger(__name__)
TRANSCRIPT_LENGTH = 40


class DialogueEngine:
    def __init__(
        self,
        services: Services,
        parser: Parser,
        flows: Registry,
        languages: tuple[str, ...] = ("it", "en"),
    ) -> None:
        self.services = services
        self.parser = parser
        self.flows = flows
        self.languages = languages
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._work = asyncio.Lock()  # one turn's work at a time (see the module's doc)
        # The language each chat's last replies were written in, so a channel renders them
        # without reading the conversation back (bounded: oldest chats are dropped).
        self._languages: OrderedDict[str, str] = OrderedDict()
        # Called (on the loop) after a turn that queued something for staff.
        self.on_staff_news: Callable[[], object] | None = None

    async def handle(self, turn: Turn) -> list[Reply]:
        """Replies for one turn; [] when this event id was already handled."""
        # A typed password is hidden and warned about, and never reaches the NLU (a server).
        password = bool(turn.text) and looks_like_password(turn.text or "")
        async with self._locks[turn.key], self._work:
            for _attempt in range(3):
                conversation = conversations.load_conversation(
                    self.services.uow(), turn.key, turn.event_id
                )
                if conversation is None:
                    log.info("event %s of %s already handled", turn.event_id, turn.key)
                    return []
                await asyncio.sleep(0)  # let network news in between slices
                nlu = None
                if turn.payload is None and turn.text and not password:
                    nlu = await self._understand(turn.text, conversation.language)
                replies, staff_news = self._turn(conversation, turn, nlu, password)
                await asyncio.sleep(0)
                if not conversations.save_conversation(
                    self.services.uow(), conversation, turn.event_id
                ):
                    continue  # another process saved first: redo the turn on its state
                self._remember_language(turn.key, conversation.language)
                if staff_news and self.on_staff_news is not None:
                    self.on_staff_news()  # e.g. wake the worker that posts to Slack
                return replies
            raise RuntimeError(f"conversation {turn.key} kept changing under this turn")

    async def _understand(self, text: str, language: str | None) -> ParseResult:
        """The NLU's reading; a parser that waits on a server lets other turns work meanwhile."""
        if getattr(self.parser, "local", False):
            return await self.parser.parse(text, language)
        self._work.release()
        try:
            return await self.parser.parse(text, language)
        finally:
            await self._retake_work()

    async def _retake_work(self) -> None:
        """Back through the gate, even when the turn is cancelled while queueing for it: the
        gate's `async with` then releases what this turn holds, never another turn's hold."""
        cancelled: asyncio.CancelledError | None = None
        while True:
            try:
                await self._work.acquire()
                break
            except asyncio.CancelledError as exc:
                cancelled = exc
        if cancelled is not None:
            raise cancelled

    def link(self, key: str, email: str, language: str | None = None) -> None:
        """A channel that already knows the member (the console's --as) links the chat."""
        conversation = conversations.load_conversation(self.services.uow(), key)
        assert conversation is not None
        if conversation.email != email:
            conversation.account_id = None
        conversation.email = email
        conversation.language = language or conversation.language or self._account_language(email)
        conversations.save_conversation(self.services.uow(), conversation)
        self._remember_language(key, conversation.language)

    def forget(self, key: str) -> None:
        conversations.forget_conversation(self.services.uow(), key)
        self._languages.pop(key, None)

    def language_of(self, key: str) -> str:
        """The language of this chat's latest replies."""
        if key in self._languages:
            return self._languages[key]
        conversation = conversations.load_conversation(self.services.uow(), key)
        assert conversation is not None
        return conversation.language or self.services.default_language

    def _remember_language(self, key: str, language: str | None) -> None:
        self._languages[key] = language or self.services.default_language
        self._languages.move_to_end(key)
        while len(self._languages) > 10_000:
            self._languages.popitem(last=False)

    def _turn(
        self,
        conversation: ConversationState,
        turn: Turn,
        nlu: ParseResult | None,
        password: bool,
    ) -> tuple[list[Reply], bool]:
        """The replies, and whether the turn queued news for staff."""
        language = self._language(conversation, turn)
        if password:
            self._remember(conversation.state, "member", "[hidden: looked like a password]")
            conversation.language = language
            return [Reply("common.password_warning", delete_user_message=True)], False
        if nlu is not None and conversation.language is None and nlu.language in self.languages:
            language = nlu.language
        ctx = Context(self.services, conversation.state, conversation.email, language, turn, nlu)
        self._remember(conversation.state, "member", turn.text or f"[{turn.payload}]")
        route(ctx, self.flows)
        if ctx.email != conversation.email:
            conversation.account_id = None  # linked (or unlinked) during this turn
        conversation.email = ctx.email
        conversation.language = ctx.language
        for reply in ctx.replies:
            self._remember(conversation.state, "bot", reply.key)
        return ctx.replies, ctx.staff_news

    def _language(self, conversation: ConversationState, turn: Turn) -> str:
        if conversation.language:
            return conversation.language
        if conversation.email:
            return self._account_language(conversation.email)
        hint = (turn.language_hint or "")[:2].lower()
        return hint if hint in self.languages else self.services.default_language

    def _account_language(self, email: str) -> str:
        language = account_language(self.services.uow(), email)
        return language if language in self.languages else "en"

    @staticmethod
    def _remember(state: dict[str, Any], who: str, text: str) -> None:
        transcript = state.setdefault("transcript", [])
        transcript.append({"who": who, "text": text[:500]})
        del transcript[:-TRANSCRIPT_LENGTH]
