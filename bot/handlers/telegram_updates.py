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
from contextlib import suppress
from typing import Any

from telegram import Bot, Update
from telegram.constants import ChatType
from telegram.error import Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot.flows.engine import DialogueEngine
from bot.flows.i18n import Catalogs
from bot.flows.messages import Button, Reply, Turn
from bot.flows.notices import notice_replies
from bot.handlers.delivery import RetryLater
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
        self.updates = RecentIds()
        self.pressed = RecentIds()

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

    async def drop_duplicates(self, update: Update, _context: Context) -> None:
        """Runs first (group -1): an update id seen before stops here, unanswered."""
        if self.updates.seen(update.update_id):
            log.info("update %s already handled", update.update_id)
            raise ApplicationHandlerStop

    async def turn(
        self,
        update: Update,
        context: Context,
        *,
        text: str | None = None,
        payload: str | None = None,
        typing: bool = True,
    ) -> None:
        chat, user = update.effective_chat, update.effective_user
        assert chat is not None
        turn = Turn(
            CHANNEL,
            str(chat.id),
            text=text,
            payload=payload,
            event_id=str(update.update_id),
            language_hint=user.language_code if user else None,
        )
        work = self.engine.handle(turn)
        replies = await (
            while_typing(context.bot, chat.id, work, self.typing_after) if typing else work
        )
        if not replies:
            return
        if update.message is not None and any(r.delete_user_message for r in replies):
            await delete(update.message)  # R1: a typed password does not stay on screen
        await self.render.send(context.bot, chat.id, self.engine.language_of(turn.key), replies)

    async def say(
        self, update: Update, context: Context, key: str, *buttons: Button, **params: Any
    ) -> None:
        chat = update.effective_chat
        if chat is not None:
            reply = Reply(key, params, tuple(buttons))
            await self.render.send(context.bot, chat.id, self.language_for(update), [reply])

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
        """Stickers, photos, voice, documents, locations...: the bot reads text only."""
        await self.say(update, context, "telegram.text_only")

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
            await self.render.send(context.bot, chat.id, language, [Reply("telegram.forget_kept")])
        else:
            await self.turn(update, context, payload=payload, typing=not typing_now)

    # -- messages no turn asked for (a person took the chat, wrote, finished...) ------
    async def deliver_notice(self, bot: Bot, delivery: Any) -> dict[str, Any]:
        """Sends one "member" delivery to its chat, in the language of its escalation."""
        key = delivery.conversation_key or ""
        chat_id = int(key.removeprefix(f"{CHANNEL}:"))
        replies = notice_replies(delivery.payload)
        language = delivery.payload.get("language") or self.engine.language_of(key)
        if language not in self.languages:
            language = self.default_language
        try:
            sent = await self.render.send(bot, chat_id, language, replies)
        except Forbidden as exc:  # the member blocked the bot: retrying would never land
            log.warning("chat %s cannot be written to (%s): notice dropped", chat_id, exc)
            return {"undeliverable": type(exc).__name__}
        except RetryAfter as exc:
            raise RetryLater("Telegram asked to wait", _seconds(exc.retry_after)) from exc
        except (TimedOut, NetworkError) as exc:  # Telegram is down, or the network
            raise RetryLater(type(exc).__name__) from exc
        return {"message_ids": [m.message_id for m in sent]}

    # -- errors ----------------------------------------------------------------------
    async def on_error(self, update: object, context: Context) -> None:
        log.error("while handling an update", exc_info=context.error)
        if not isinstance(update, Update) or update.effective_chat is None:
            return
        if update.effective_chat.type == ChatType.PRIVATE:
            with suppress(TelegramError):
                await self.say(update, context, "telegram.error")


def _seconds(value: Any) -> float:
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)
