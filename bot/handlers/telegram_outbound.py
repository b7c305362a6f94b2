"""Replies and notices out to Telegram, from the outbox: the channel's outbound half.

Two ways out, one way of sending:
- `send_now`: a turn's replies, by the turn's own process right after its commit, when no
  older message to the chat still waits. Recorded delivered (within moments, in batches)
  once Telegram took them; a 429, a 5xx or a lost connection leaves them to the worker.
- `deliver`: what the delivery worker sends (bot.handlers.delivery): replies that could not
  leave at once, and notices no turn asked for (a person took the chat, wrote...).
A member who blocked the bot ends the delivery: retrying would never land. An attempt
that failed counts in `cps_deliveries_failed_total{channel="telegram"}` (the worker's
attempts are counted by the worker).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from telegram import Bot, Message
from telegram.error import Forbidden, NetworkError, RetryAfter, TimedOut

from bot.flows.messages import Reply
from bot.flows.notices import notice_replies
from bot.flows.pipeline import Pipeline
from bot.handlers.delivery import DeliveryWorker, RetryLater
from bot.handlers.telegram_render import Renderer
from bot.observability.logs import conversation_scope
from bot.observability.metrics import DELIVERIES_FAILED

log = logging.getLogger(__name__)
CHANNEL = "telegram"


class Undeliverable(Exception):
    """The chat cannot be written to (the member blocked the bot)."""


class TelegramOutbound:
    def __init__(
        self,
        render: Renderer,
        pipeline: Pipeline,
        languages: tuple[str, ...],
        default_language: str,
        language_of: Callable[[str], str],
    ) -> None:
        self.render = render
        self.pipeline = pipeline
        self.languages = languages
        self.default_language = default_language
        self.language_of = language_of
        self.worker: DeliveryWorker | None = None  # set by the application that runs it

    async def send_now(
        self, bot: Bot, chat_id: int, delivery_id: int, language: str, replies: list[Reply]
    ) -> bool:
        """A turn's replies; True when Telegram took them, else the worker retries them."""
        try:
            sent = await self._send(bot, chat_id, language, replies)
        except Undeliverable as exc:
            self.pipeline.undeliverable(delivery_id, str(exc))
            return False
        except RetryLater as exc:
            log.warning("delivery %s not sent yet (%s): the worker retries it", delivery_id, exc)
            DELIVERIES_FAILED.labels(channel=CHANNEL).inc()
            next_at = self.pipeline.failed(delivery_id, exc.reason, retry_after=exc.retry_after)
            if self.worker is not None:
                self.worker.wake_at(next_at)
            return False
        result = {"message_ids": [m.message_id for m in sent]}
        self.pipeline.replies_delivered_soon(delivery_id, result, f"{CHANNEL}:{chat_id}")
        return True

    def wake(self) -> None:
        """Replies were queued behind older ones: the worker sends them in order. The older
        ones are often another process's, sent and about to be recorded (within moments):
        the worker looks again shortly, not only at its next poll."""
        if self.worker is not None:
            self.worker.wake_in(0.05, 0.25, 1.0)

    async def deliver(self, bot: Bot, delivery: Any) -> dict[str, Any]:
        """One "member" delivery of the worker, in its language (RetryLater: not yet)."""
        key = delivery.conversation_key or ""
        chat_id = int(key.removeprefix(f"{CHANNEL}:"))
        language = delivery.payload.get("language") or self.language_of(key)
        if language not in self.languages:
            language = self.default_language
        try:
            sent = await self._send(bot, chat_id, language, notice_replies(delivery.payload))
        except Undeliverable as exc:
            return {"undeliverable": str(exc)}
        return {"message_ids": [m.message_id for m in sent]}

    async def _send(
        self, bot: Bot, chat_id: int, language: str, replies: list[Reply]
    ) -> list[Message]:
        try:
            return await self.render.send(bot, chat_id, language, replies)
        except Forbidden as exc:  # the member blocked the bot: retrying would never land
            with conversation_scope(f"{CHANNEL}:{chat_id}"):  # the chat by its pseudonym
                log.warning("the chat cannot be written to (%s): not delivered", exc)
            raise Undeliverable(type(exc).__name__) from exc
        except RetryAfter as exc:
            raise RetryLater("Telegram asked to wait", _seconds(exc.retry_after)) from exc
        except (TimedOut, NetworkError) as exc:  # Telegram is down, or the network
            raise RetryLater(type(exc).__name__) from exc


def _seconds(value: Any) -> float:
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)
