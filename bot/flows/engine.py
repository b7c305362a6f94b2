"""The dialogue engine: one path for every channel, Turn in, Replies out.

A turn: understand (buttons first, then NLU) -> in ONE transaction: lock the conversation
(across processes), take the event from the inbox, load the conversation, global commands,
digressions or the active flow's step (each use case a savepoint), queue the replies as a
delivery, save -> commit. Nothing is redone: a turn's domain effects happen once.

Where a turn's blocking work runs is the seam's choice (`bot.flows.seam`): on SQLite on
the loop, one turn at a time in arrival order (when many chats write at once, the first
answer leaves after one turn's work rather than after all of them); on PostgreSQL on a
few threads, so the loop serves other chats' I/O while a turn waits for the server.
Turns of one chat run one after another in this process (`_locks`) and across processes
(the transaction's lock).
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import OrderedDict, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from bot.domain.services import conversations, turns
from bot.domain.services.accounts import account_language
from bot.domain.services.conversations import ConversationState
from bot.domain.services.events import Mark
from bot.flows.base import Registry
from bot.flows.context import Context, Services
from bot.flows.messages import Reply, Turn
from bot.flows.pipeline import Pipeline
from bot.flows.reply_codec import encode_replies
from bot.flows.router import SURE, offer_languages, route
from bot.flows.seam import OnTheLoop, Seam
from bot.nlu.engines import Parser
from bot.nlu.greeting import past_the_greeting
from bot.nlu.result import ParseResult
from bot.observability.logs import conversation_scope
from bot.observability.metrics import observe_nlu, observe_turn
from bot.privacy.masking import hide_codes, redact
from bot.privacy.passwords import MARKER, looks_like_password

log = logging.getLogger(__name__)
TRANSCRIPT_LENGTH = 40


@dataclass
class TurnOutcome:
    """What a turn committed: its replies, and the delivery that carries them."""

    replies: list[Reply]
    language: str
    delivery_id: int | None = None
    send_now: bool = False  # the channel sends at once (else they wait behind older ones)
    handled: bool = True
    more_waiting: bool = False  # more events of this chat wait in the inbox
    staff_news: bool = False
    conversation_language: str | None = None
    kind: str = "understood"  # how the turn went (the report's and the metrics' outcome)


@dataclass
class _Answered:
    """What the flows made of a turn: the replies, and what the report records of it."""

    replies: list[Reply]
    staff_news: bool = False
    outcome: str = "understood"
    marks: list[Mark] = field(default_factory=list)


class DialogueEngine:
    def __init__(
        self,
        services: Services,
        parser: Parser,
        flows: Registry,
        seam: Seam | None = None,
    ) -> None:
        self.services = services
        self.parser = parser
        self.flows = flows
        self.languages = services.languages
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self.seam: Seam = seam or OnTheLoop()  # where a turn's blocking work runs
        # The language each chat's last replies were written in, so a channel renders them
        # without reading the conversation back (bounded: oldest chats are dropped).
        self._languages: OrderedDict[str, str] = OrderedDict()
        self._nlu_languages: OrderedDict[str, str | None] = OrderedDict()
        self.pipeline = Pipeline(services.uow)
        # Called (on the loop) after a turn that queued something for staff.
        self.on_staff_news: Callable[[], object] | None = None

    async def take(self, turn: Turn, answer: list[Reply] | None = None) -> TurnOutcome:
        """One turn in one transaction: the event taken from the inbox, the conversation
        locked and updated, the domain changed, the replies queued as a delivery.

        `answer` gives the replies of an event a channel answers itself (a sticker, an
        edit): it is taken and answered through the same outbox, without the flows.
        An event that is not this turn's (handled before, or behind an older one of the
        same chat) gives no replies and `handled` False.
        """
        # A typed password is hidden and warned about, and never reaches the NLU (a server).
        # (A stored event handled again carries the marker the inbox put in its place.)
        text = turn.text or ""
        password = answer is None and bool(text) and (MARKER in text or looks_like_password(text))
        started = time.perf_counter()
        with conversation_scope(turn.key):  # its log lines name the chat by a pseudonym
            async with self._locks[turn.key], self.seam.slot():
                nlu = None
                if answer is None and turn.payload is None and turn.text and not password:
                    nlu = await self._understand(turn.text, self._nlu_language(turn.key))
                outcome = await self.seam.run(
                    self._commit_turn, turn, nlu, password, answer, started
                )
        observe_turn(turn.channel, outcome.kind, time.perf_counter() - started)
        self._remember_language(turn.key, outcome.conversation_language)
        if outcome.staff_news and self.on_staff_news is not None:
            self.on_staff_news()  # e.g. wake the worker that posts to Slack
        return outcome

    async def handle(self, turn: Turn) -> list[Reply]:
        """Replies for one turn, taken as delivered by the caller (tests, in-process use);
        [] when this event id was already handled."""
        outcome = await self.take(turn)
        if outcome.delivery_id is not None:
            self.pipeline.replies_delivered(outcome.delivery_id, {"by": "caller"})
        return outcome.replies

    def _commit_turn(
        self,
        turn: Turn,
        nlu: ParseResult | None,
        password: bool,
        answer: list[Reply] | None,
        started: float,
    ) -> TurnOutcome:
        with turns.open_turn(
            self.services.uow(), turn.key, turn.channel, turn.event_id
        ) as open_turn:
            if open_turn is None:
                log.info("event %s is not this turn's", turn.event_id)  # the scope names the chat
                language = self._languages.get(turn.key, self.services.default_language)
                return TurnOutcome(
                    [], language, handled=False, conversation_language=language, kind="duplicate"
                )
            conversation = open_turn.conversation
            if answer is None:
                services = replace(self.services, uow=open_turn.use_case_uow)
                answered = self._turn(services, conversation, turn, nlu, password)
            else:
                answered = _Answered(answer, outcome="channel")
                if conversation.language is None:
                    conversation.language = self._language(self.services, conversation, turn)
            replies = answered.replies
            language = conversation.language or self.services.default_language
            if replies:
                payload = {
                    "kind": "replies",
                    "language": language,
                    "replies": encode_replies(replies),
                }
                event = turn.event_id or uuid.uuid4().hex
                # Earlier messages to the chat still wait, unless they are only those this
                # process has sent and not yet recorded as delivered.
                behind = open_turn.undelivered > self.pipeline.unmarked(turn.key)
                open_turn.queue_replies(payload, f"reply:{turn.key}:{event}", behind_others=behind)
            open_turn.record([self._turn_mark(turn, nlu, answered, started), *answered.marks])
            open_turn.commit()
            queued = open_turn.queued
        return TurnOutcome(
            replies,
            language,
            delivery_id=queued.delivery_id if queued else None,
            send_now=bool(queued and queued.send_now),
            more_waiting=open_turn.more_waiting,
            staff_news=answered.staff_news,
            conversation_language=conversation.language,
            kind=answered.outcome,
        )

    def _turn_mark(
        self, turn: Turn, nlu: ParseResult | None, answered: _Answered, started: float
    ) -> Mark:
        """The turn itself for the report: its outcome, the intent read, the milliseconds
        to its answer, and a message not understood, redacted and its digits hidden (it
        may have been typed at a step that asked for a code)."""
        text = None
        if answered.outcome == "not_understood" and turn.text:
            text = hide_codes(redact(turn.text))
        return Mark(
            "turn",
            answered.outcome,
            nlu.intent if nlu is not None else None,
            text=text,
            value=round((time.perf_counter() - started) * 1000, 1),
        )

    def _nlu_language(self, key: str) -> str | None:
        """The chat's language for the NLU (None for a new chat: the NLU detects it)."""
        if key in self._nlu_languages:
            return self._nlu_languages[key]
        conversation = conversations.load_conversation(self.services.uow(), key)
        return conversation.language if conversation is not None else None

    async def _understand(self, text: str, language: str | None) -> ParseResult:
        """The NLU's reading; a parser that waits on a server lets other turns work meanwhile."""
        if getattr(self.parser, "local", False):
            return await self._parse(text, language)
        async with self.seam.released():
            return await self._parse(text, language)

    async def _parse(self, text: str, language: str | None) -> ParseResult:
        began = time.perf_counter()
        first = await self.parser.parse(text, language)
        found = await past_the_greeting(lambda rest: self.parser.parse(rest, language), text, first)
        fallback = None
        if found.intent == "out_of_scope":
            fallback = "out_of_scope"
        elif found.confidence < SURE:
            fallback = "low_confidence"
        engine = getattr(self.parser, "name", type(self.parser).__name__)
        observe_nlu(engine, time.perf_counter() - began, fallback=fallback)
        return found

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
        self._nlu_languages.pop(key, None)

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
        self._nlu_languages[key] = language
        self._nlu_languages.move_to_end(key)
        while len(self._languages) > 10_000:
            self._languages.popitem(last=False)
        while len(self._nlu_languages) > 10_000:
            self._nlu_languages.popitem(last=False)

    def _turn(
        self,
        services: Services,
        conversation: ConversationState,
        turn: Turn,
        nlu: ParseResult | None,
        password: bool,
    ) -> _Answered:
        """The replies, whether the turn queued news for staff, and what it did."""
        language = self._language(services, conversation, turn)
        self._remember(conversation.state, "member", self._as_kept(conversation.state, turn))
        if password:
            conversation.language = language
            warning = Reply("common.password_warning", delete_user_message=True)
            return _Answered([warning], outcome="password")
        first_turn = conversation.language is None
        if nlu is not None and first_turn and nlu.language in self.languages:
            language = nlu.language
        ctx = Context(services, conversation.state, conversation.email, language, turn, nlu)
        route(ctx, self.flows)
        if first_turn and ctx.language == language and self._unserved(conversation, turn, nlu):
            offer_languages(ctx)
        if ctx.email != conversation.email:
            conversation.account_id = None  # linked (or unlinked) during this turn
        if ctx.email is not None and conversation.email is None:
            ctx.mark("milestone", "linked_chat")
        conversation.email = ctx.email
        conversation.language = ctx.language
        for reply in ctx.replies:
            self._remember(conversation.state, "bot", reply.key)
        return _Answered(ctx.replies, ctx.staff_news, ctx.outcome, ctx.marks)

    def _language(self, services: Services, conversation: ConversationState, turn: Turn) -> str:
        if conversation.language:
            return conversation.language
        if conversation.email:
            return self._account_language(conversation.email)
        hint = (turn.language_hint or "")[:2].lower()
        return hint if hint in self.languages else self.services.default_language

    def _unserved(
        self, conversation: ConversationState, turn: Turn, nlu: ParseResult | None
    ) -> bool:
        """The member's own language is known and is not one we serve (the account's, else
        the channel's), and their message did not show one we do: they got the default."""
        if nlu is not None and nlu.language in self.languages:
            return False
        if conversation.email:
            own = account_language(self.services.uow(), conversation.email)
        else:
            own = (turn.language_hint or "")[:2].lower()
        return bool(own) and own not in self.languages

    def _account_language(self, email: str) -> str:
        language = account_language(self.services.uow(), email)
        return language if language in self.languages else self.services.default_language

    def _as_kept(self, state: dict[str, Any], turn: Turn) -> str:
        """The member's line as the transcript keeps it: without passwords, link tokens,
        e-mails or phone numbers (staff read transcripts; the account's own e-mail is on
        the card), and without the digits typed at a step that asks for a one-time code."""
        if not turn.text:
            return f"[{turn.payload}]"
        active = self.flows.get(state.get("flow"))
        if active is not None and state.get("step") in active.secret_steps:
            return hide_codes(turn.text)
        return redact(turn.text)

    @staticmethod
    def _remember(state: dict[str, Any], who: str, text: str) -> None:
        transcript = state.setdefault("transcript", [])
        transcript.append({"who": who, "text": text[:500]})
        del transcript[:-TRANSCRIPT_LENGTH]
