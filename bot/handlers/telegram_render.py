"""Replies to Telegram messages: plain text split under Telegram's limit, inline keyboards
closed once pressed, the typing action, deleted messages.

Texts go out without `parse_mode` (explicitly None, overriding any builder default), so
nothing a member or a catalog writes can be read as formatting: no escaping is needed.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Iterable, Sequence
from contextlib import suppress
from typing import TypeVar

from telegram import Bot, CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.constants import ChatAction
from telegram.error import BadRequest, TelegramError

from bot.flows.i18n import Catalogs
from bot.flows.messages import Reply

MAX_TEXT = 4096  # Telegram's limit, in UTF-16 code units
MAX_CALLBACK_DATA = 64  # bytes
ROW_WIDTH = 30  # characters of labels side by side on one keyboard row
ROW_BUTTONS = 3
CHOSEN_MARK = "\n\n» "  # a closed keyboard leaves the choice under the question
TYPING_RENEWAL = 4.5  # seconds; Telegram shows the action for 5
T = TypeVar("T")
log = logging.getLogger(__name__)


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Pieces of at most `limit` UTF-16 units, cut at a paragraph, a line or a space if any."""
    pieces: list[str] = []
    rest = text.strip()
    while utf16_length(rest) > limit:
        fits = _longest_prefix(rest, limit)
        cut = max(rest.rfind(sep, 0, fits) for sep in ("\n\n", "\n", " "))
        if cut < fits // 2:  # no good place: cut the word
            cut = fits
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


def _longest_prefix(text: str, limit: int) -> int:
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return index
    return len(text)


class CallbackData:
    """Button payloads as callback_data. Telegram allows 64 bytes: a longer payload travels as a
    short token remembered here (after a restart such a button answers that it has expired)."""

    PREFIX = "~"

    def __init__(self, capacity: int = 10_000) -> None:
        self.capacity = capacity
        self._long: OrderedDict[str, str] = OrderedDict()

    def encode(self, payload: str) -> str:
        if len(payload.encode()) <= MAX_CALLBACK_DATA and not payload.startswith(self.PREFIX):
            return payload
        token = self.PREFIX + hashlib.sha256(payload.encode()).hexdigest()[:32]
        self._long[token] = payload
        self._long.move_to_end(token)
        if len(self._long) > self.capacity:
            self._long.popitem(last=False)
        return token

    def decode(self, data: str) -> str | None:
        """The payload, or None for a token this process does not know."""
        return self._long.get(data) if data.startswith(self.PREFIX) else data


def keyboard(buttons: Sequence[tuple[str, str]]) -> InlineKeyboardMarkup | None:
    """(label, callback_data) pairs; short labels share a row, long ones get their own."""
    if not buttons:
        return None
    rows: list[list[InlineKeyboardButton]] = []
    row: list[InlineKeyboardButton] = []
    width = 0
    for label, data in buttons:
        if row and (len(row) == ROW_BUTTONS or width + len(label) > ROW_WIDTH):
            rows.append(row)
            row, width = [], 0
        row.append(InlineKeyboardButton(label, callback_data=data))
        width += len(label)
    rows.append(row)
    return InlineKeyboardMarkup(rows)


class Renderer:
    """Sends Replies to one chat in the given language."""

    def __init__(self, catalogs: Catalogs) -> None:
        self.catalogs = catalogs
        self.callback_data = CallbackData()

    def text(self, language: str, key: str, **params: object) -> str:
        return self.catalogs.render(language, key, params)

    async def send(
        self, bot: Bot, chat_id: int, language: str, replies: Iterable[Reply]
    ) -> list[Message]:
        sent: list[Message] = []
        for reply in replies:
            pieces = split_text(self.catalogs.reply_text(language, reply)) or ["…"]
            buttons = [
                (
                    self.catalogs.button_label(language, button),
                    self.callback_data.encode(button.payload),
                )
                for button in reply.buttons
            ]
            for number, piece in enumerate(pieces, 1):
                markup = keyboard(buttons) if number == len(pieces) else None
                sent.append(
                    await bot.send_message(chat_id, piece, reply_markup=markup, parse_mode=None)
                )
        return sent

    @staticmethod
    def chosen_label(message: Message | None, data: str) -> str | None:
        """The label of the pressed button, read from the message it was on."""
        markup = message.reply_markup if message is not None else None
        for row in markup.inline_keyboard if markup else ():
            for button in row:
                if button.callback_data == data:
                    return button.text
        return None


async def close_keyboard(query: CallbackQuery, data: str | None) -> None:
    """The pressed keyboard goes; the message keeps the chosen label under its text."""
    message = query.message if isinstance(query.message, Message) else None
    label = Renderer.chosen_label(message, data) if data else None
    text = message.text if message is not None else None
    try:
        if text and label and utf16_length(text + CHOSEN_MARK + label) <= MAX_TEXT:
            await query.edit_message_text(text + CHOSEN_MARK + label, parse_mode=None)
        elif query.message is not None:
            await query.edit_message_reply_markup(None)
    except BadRequest as exc:  # too old to edit, or already closed
        log.info("could not close the keyboard: %s", exc)


async def typing(bot: Bot, chat_id: int) -> None:
    with suppress(TelegramError):  # the answer matters, its announcement does not
        await bot.send_chat_action(chat_id, ChatAction.TYPING)


async def while_typing(bot: Bot, chat_id: int, work: Awaitable[T], after: float) -> T:
    """The chat shows "typing..." while the work runs: at once (`after` 0, the default), or
    only once the work has taken `after` seconds, as Telegram advises; renewed every few
    seconds, since the action shows for five."""
    if after <= 0:  # announced while the work runs; the answer goes out after it
        announced = asyncio.ensure_future(typing(bot, chat_id))
        try:
            return await work
        finally:
            await announced
    task = asyncio.ensure_future(work)
    try:
        wait = after
        while not (await asyncio.wait({task}, timeout=wait))[0]:
            await typing(bot, chat_id)
            wait = TYPING_RENEWAL
        return task.result()
    finally:
        task.cancel()  # only if this turn itself was cancelled


async def delete(message: Message) -> None:
    try:
        await message.delete()
    except TelegramError as exc:  # too old, or already gone: the warning still goes out
        log.warning("could not delete message %s: %s", message.message_id, exc)
