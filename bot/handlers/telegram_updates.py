"""Telegram updates to Turns and Replies back: the callbacks the Application runs.

Nothing here decides what the bot says: text, commands and pressed buttons become Turns
for the dialogue engine, and its Replies become messages. What the engine never sees is
answered with a short text of `bot/locale/<lang>/telegram.po`: messages outside private
chats, non-text messages, edits, unknown commands, and the /forget confirmation.
"""

from __future__ import annotations

import asyncio
import logging
import re
import traceback
from contextlib import suppress
from typing import Any

from telegram import Message, Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from bot.flows.engine import DialogueEngine, TurnOutcome
from bot.flows.i18n import Catalogs
from bot.flows.messages import Button, Reply, Turn
from bot.flows.router import MENU
from bot.handlers.telegram_outbound import TelegramOutbound
from bot.handlers.telegram_reliability import RecentIds
from bot.handlers.telegram_render import Renderer, close_keyboard, delete, typing, while_typing

log = logging.getLogger(__name__)

CHANNEL = "telegram"
Context = ContextTypes.DEFAULT_TYPE
# Commands the engine already understands, as the payloads of its buttons.
COMMAND_PAYLOADS = {"help": "cmd:help", "cancel": "cmd:cancel", "human": "cmd:human"}
FORGET_YES, FORGET_NO = "tg:forget:yes", "tg:forget:no"
DEEP_LINK = re.compile(r"[a-z][a-z_]{0,40}")  # t.me/<bot>?start=points opens the points flow


class TelegramChannel:
    def __init__(
        self,
        engine: DialogueEngine,
        catalogs: Catalogs,
        languages: tuple[str, ...],
        default_language: str,
        typing_after: float = 0.0,
    ) -> None:
        self.engine = engine
        self.typing_after = typing_after
        self.render = Renderer(catalogs)
        self.languages = languages
        self.default_language = default_language
        self.pressed = RecentIds()
        self.pipeline = engine.pipeline
        # Updates whose stored event a turn took (or whose failure was counted); any other
        # update is marked done once its handler returns (`settle`).
        self.settled: set[int] = set()
        self.outbound = TelegramOutbound(
            self.render, self.pipeline, languages, default_language, engine.language_of
        )

    # -- plumbing --------------------------------------------------------------------
    @staticmethod
    def key(chat_id: int) -> str:
        return f"{CHANNEL}:{chat_id}"

    def language_for(self, update: Update) -> str:
        """The member's conversation language; else Telegram's language_code; else the default.

        In a group the member's own private chat (its id is the user id) tells the language.
        """
        user = update.effective_user
        hint = ((user.language_code if user else None) or "")[:2].lower()
        hint = hint if hint in self.languages else None
        if user is not None:
            known = self.engine.language_of(self.key(user.id))
            if known != self.default_language or hint is None:
                return known
        return hint or self.default_language

    def turn_of(
        self, update: Update, *, text: str | None = None, payload: str | None = None
    ) -> Turn:
        chat, user = update.effective_chat, update.effective_user
        assert chat is not None
        return Turn(
            CHANNEL,
            str(chat.id),
            text=text,
            payload=payload,
            event_id=str(update.update_id),
            language_hint=user.language_code if user else None,
        )

    async def turn(
        self,
        update: Update,
        context: Context,
        *,
        text: str | None = None,
        payload: str | None = None,
        typing: bool = True,
    ) -> None:
        chat = update.effective_chat
        assert chat is not None
        self.settled.add(update.update_id)
        work = self.engine.take(self.turn_of(update, text=text, payload=payload))
        outcome = await (
            while_typing(context.bot, chat.id, work, self.typing_after) if typing else work
        )
        await self.send_outcome(context, chat.id, outcome, update.message)

    async def say(
        self, update: Update, context: Context, key: str, *buttons: Button, **params: Any
    ) -> None:
        """An answer the channel gives itself (a sticker, an edit), through the same outbox."""
        chat = update.effective_chat
        if chat is None:
            return
        reply = Reply(key, params, tuple(buttons))
        if chat.type != ChatType.PRIVATE:  # no conversation of its own: answered directly
            await self.render.send(context.bot, chat.id, self.language_for(update), [reply])
            return
        self.settled.add(update.update_id)
        outcome = await self.engine.take(self.turn_of(update), answer=[reply])
        await self.send_outcome(context, chat.id, outcome, None)

    async def send_outcome(
        self, context: Context, chat_id: int, outcome: TurnOutcome, message: Message | None
    ) -> None:
        """The turn's replies leave now, unless older ones to this chat still wait (then
        the delivery worker sends them in order); the delivery is done once Telegram took
        them. Then the chat's next stored events, if any wait behind this one."""
        if message is not None and any(r.delete_user_message for r in outcome.replies):
            await delete(message)  # R1: a typed password does not stay on screen, ever
        if outcome.delivery_id is not None:
            if outcome.send_now:
                await self.outbound.send_now(
                    context.bot, chat_id, outcome.delivery_id, outcome.language, outcome.replies
                )
            else:
                self.outbound.wake()
        if outcome.more_waiting:
            for event in self.pipeline.pending_of(self.key(chat_id)):
                if event.payload is not None:
                    await context.application.update_queue.put(
                        Update.de_json(event.payload, context.bot)
                    )

    def settle(self, update: Update) -> None:
        """After the handlers: an update no turn took (a closed button, a group message)
        is done; one a turn took was marked in the turn's own transaction."""
        if update.update_id in self.settled:
            self.settled.discard(update.update_id)
        else:
            self.pipeline.done(CHANNEL, str(update.update_id))

    # -- messages --------------------------------------------------------------------
    async def text(self, update: Update, context: Context) -> None:
        assert update.message is not None
        await self.turn(update, context, text=update.message.text)

    async def command(self, update: Update, context: Context) -> None:
        """/start [deep link], /help, /cancel, /language [code], /human."""
        assert update.message is not None and update.effective_chat is not None
        name = (update.message.text or "/").split()[0][1:].split("@")[0].lower()
        argument = (context.args or [""])[0].lower()
        if name == "start":
            payload = f"flow:{argument}" if DEEP_LINK.fullmatch(argument) else "cmd:start"
        elif name == "language":
            payload = f"lang:{argument}"  # no code: the engine offers the languages
        else:
            payload = COMMAND_PAYLOADS[name]
        await self.turn(update, context, payload=payload)

    async def forget(self, update: Update, context: Context) -> None:
        await self.say(
            update,
            context,
            "telegram.forget_confirm",
            Button("telegram.forget_yes", FORGET_YES),
            Button("telegram.forget_no", FORGET_NO),
        )

    async def unknown_command(self, update: Update, context: Context) -> None:
        text = update.message.text if update.message else ""
        await self.say(
            update, context, "telegram.unknown_command", command=(text or "/").split()[0]
        )

    async def not_text(self, update: Update, context: Context) -> None:
        """Stickers, photos, voice, documents, locations...: the bot reads text only; the
        options it offers are there to press."""
        await self.say(update, context, "telegram.text_only", *MENU)

    async def edited(self, update: Update, context: Context) -> None:
        await self.say(update, context, "telegram.edited")

    async def not_private(self, update: Update, context: Context) -> None:
        await self.say(update, context, "telegram.private_only")

    # -- buttons ---------------------------------------------------------------------
    async def button(self, update: Update, context: Context) -> None:
        """Answered at once; the keyboard is closed (the choice shown) so it works only once."""
        query, chat = update.callback_query, update.effective_chat
        assert query is not None
        if chat is None or chat.type != ChatType.PRIVATE:
            await query.answer()
            return
        message = query.message
        language = self.language_for(update)
        if message is not None and self.pressed.seen((chat.id, message.message_id)):
            await query.answer(self.render.text(language, "telegram.already_chosen"))
            return
        payload = self.render.callback_data.decode(query.data or "")
        if payload is None:
            await query.answer(self.render.text(language, "telegram.button_expired"))
            await close_keyboard(query, None)
            return
        typing_now = self.typing_after <= 0  # in the same round trip as the answer
        await asyncio.gather(
            query.answer(),
            close_keyboard(query, query.data),
            *([typing(context.bot, chat.id)] if typing_now else []),
        )
        if payload == FORGET_YES:
            self.engine.forget(self.key(chat.id))
            await self.render.send(context.bot, chat.id, language, [Reply("telegram.forgotten")])
        elif payload == FORGET_NO:
            await self.say(update, context, "telegram.forget_kept")
        else:
            await self.turn(update, context, payload=payload, typing=not typing_now)

    # -- errors ----------------------------------------------------------------------
    async def on_error(self, update: object, context: Context) -> None:
        """A turn that failed: counted on its stored event, which is tried again later (the
        inbox sweep) and set aside after a few attempts, when the member is told. Logged
        by type and place only: the exception may carry what the member wrote."""
        error = context.error
        where = _where(error)
        if not isinstance(update, Update):
            log.error("error outside an update: %s at %s", type(error).__name__, where)
            return
        reason = f"{type(error).__name__} at {where}"
        chat = update.effective_chat
        if chat is None or chat.type != ChatType.PRIVATE:
            log.error("update %s failed: %s", update.update_id, reason)
            return
        self.settled.add(update.update_id)
        status = self.pipeline.turn_failed(CHANNEL, str(update.update_id), reason)
        outcome = {
            "pending": "it will be tried again",
            "dead": "set aside, the member is told",
            "done": "after its turn was committed: nothing to try again",
        }
        log.error("update %s failed: %s; %s", update.update_id, reason, outcome[status])
        if status == "dead":
            with suppress(Exception):
                reply = Reply("telegram.error")
                user = update.effective_user
                apology = Turn(
                    CHANNEL,
                    str(chat.id),
                    event_id=f"error:{update.update_id}",
                    language_hint=user.language_code if user else None,
                )
                outcome = await self.engine.take(apology, answer=[reply])
                await self.send_outcome(context, chat.id, outcome, None)


def _where(error: BaseException | None) -> str:
    """file:line of the innermost frame of the project, or of the error."""
    frames = traceback.extract_tb(error.__traceback__) if error is not None else []
    ours = [f for f in frames if "/bot/" in f.filename] or frames
    if not ours:
        return "?"
    frame = ours[-1]
    return f"{frame.filename.rsplit('/', 1)[-1]}:{frame.lineno}"
