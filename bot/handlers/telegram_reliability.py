"""Telegram delivery guarantees: each update once, one chat in order, retries that respect Telegram.

- `PerChatOrder` lets different chats run concurrently while the updates of one chat run
  one after the other, in the order they arrived.
- `RecentIds` remembers recent keys (a pressed button's message, so a double tap acts
  once); updates themselves are taken once by the inbox (bot.handlers.telegram_intake).
- `RetryingRateLimiter` throttles like `AIORateLimiter` and retries a 429 after its
  `retry_after`; it also retries a 5xx answer or a failed connection with exponential
  backoff. A timeout is not retried (the message may already have been delivered), nor is
  a 4xx (PTB's BadRequest is a NetworkError too).
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Coroutine, Hashable
from typing import Any

from telegram import Update
from telegram.error import BadRequest, NetworkError, TimedOut
from telegram.ext import AIORateLimiter, BaseUpdateProcessor

log = logging.getLogger(__name__)


class PerChatOrder(BaseUpdateProcessor):
    """Concurrent across chats, sequential (first come, first served) within one chat."""

    def __init__(self, max_concurrent_updates: int) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[Hashable, asyncio.Lock] = {}
        self._waiting: dict[Hashable, int] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            await coroutine
            return
        key = chat.id
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock:  # asyncio locks wake their waiters in FIFO order
                await coroutine
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:
                del self._waiting[key], self._locks[key]

    async def initialize(self) -> None:
        """Nothing to allocate."""

    async def shutdown(self) -> None:
        """Nothing to free."""


class RecentIds:
    """The last `capacity` keys seen; `seen(key)` records the key and says if it was there."""

    def __init__(self, capacity: int = 10_000) -> None:
        self.capacity = capacity
        self._keys: OrderedDict[Hashable, None] = OrderedDict()

    def seen(self, key: Hashable) -> bool:
        if key in self._keys:
            self._keys.move_to_end(key)
            return True
        self._keys[key] = None
        if len(self._keys) > self.capacity:
            self._keys.popitem(last=False)
        return False


class RetryingRateLimiter(AIORateLimiter):
    """AIORateLimiter (throttling; 429 retried after `retry_after`) plus 5xx/connection retries."""

    def __init__(self, per_second: float, max_retries: int, backoff_seconds: float) -> None:
        super().__init__(
            overall_max_rate=per_second,
            overall_time_period=1,
            group_max_rate=20 if per_second else 0,  # Telegram: about 20 messages a minute
            group_time_period=60,
            max_retries=max_retries,
        )
        self._network_retries = max_retries
        self._backoff = backoff_seconds

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        attempt = 0
        while True:
            try:
                return await super().process_request(
                    callback, args, kwargs, endpoint, data, rate_limit_args
                )
            except (TimedOut, BadRequest):  # maybe delivered; or refused for good (4xx)
                raise
            except NetworkError as exc:  # a 5xx answer, or the connection failed
                if attempt >= self._network_retries:
                    raise
                delay = self._backoff * 2**attempt
                attempt += 1
                log.warning(
                    "Bot API %s failed (%s); retry %d of %d in %.2f s",
                    endpoint,
                    exc.message,
                    attempt,
                    self._network_retries,
                    delay,
                )
                await asyncio.sleep(delay)
