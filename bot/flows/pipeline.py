"""The durable message path as channels see it: the inbox in, the outbox out.

    channel event -> `receive` (stored, before the channel acknowledges it)
      -> the engine's turn (one transaction: conversation, domain, event done, replies queued)
      -> the channel sends the queued replies -> `delivered` (or `failed`: retried later)

Channel adapters reach the domain's inbox and deliveries only through this module, as they
reach the rest of the domain through the engine.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from bot.domain.services import deliveries, inbox
from bot.domain.services.inbox import Inbound, StoredEvent
from bot.domain.unit_of_work import UnitOfWork
from bot.flows.seam import Seam

__all__ = ["Inbound", "Pipeline", "StoredEvent"]
log = logging.getLogger(__name__)


class Pipeline:
    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        max_attempts: int = 3,
        mark_delay: float = 0.02,
        writer: inbox.DurableWriter | None = None,
    ) -> None:
        self.uow = uow
        self.writer = writer  # PostgreSQL: the inbox's write without holding the loop
        self.max_attempts = max_attempts
        self.mark_delay = mark_delay
        self._marks: list[tuple[int, dict[str, Any]]] = []
        self._unmarked: dict[str, int] = {}  # conversation -> sent, not yet recorded
        self._flush: asyncio.TimerHandle | None = None

    # -- in ------------------------------------------------------------------------------
    def receive_many(self, events: Sequence[Inbound]) -> list[bool]:
        """Stored in one commit; True for each event not seen before."""
        return inbox.receive_many(self.uow(), events)

    async def receive(self, events: Sequence[Inbound], seam: Seam) -> list[bool]:
        """`receive_many` from the event loop: through the asyncio writer when there is
        one, else where the seam runs blocking work."""
        if self.writer is not None:
            return await inbox.receive_many_async(self.uow(), self.writer, events)
        return await seam.run(self.receive_many, events)

    def set_aside(self, event: Inbound, reason: str) -> None:
        inbox.set_aside(self.uow(), event, reason)

    def turn_failed(self, channel: str, event_id: str, reason: str) -> str:
        """Counts a failed attempt on a pending event: "pending" (it is tried again),
        "dead" (set aside for good), or "done" (it had been handled: nothing to retry)."""
        status = inbox.attempt_failed(
            self.uow(), channel, event_id, reason, max_attempts=self.max_attempts
        )
        return status.value

    def pending(
        self, channels: Iterable[str], *, older_than: float = 0.0, limit: int = 100
    ) -> list[StoredEvent]:
        return inbox.pending(
            self.uow(), channels, older_than=timedelta(seconds=older_than), limit=limit
        )

    def done(self, channel: str, event_id: str) -> None:
        inbox.mark_done(self.uow(), channel, event_id)

    def pending_of(self, key: str) -> list[StoredEvent]:
        return inbox.pending_of(self.uow(), key)

    # -- out -----------------------------------------------------------------------------
    def replies_delivered(self, delivery_id: int, result: dict[str, Any]) -> None:
        """A turn's replies sent at once, recorded now."""
        deliveries.replies_delivered(self.uow(), [(delivery_id, result)])

    def unmarked(self, key: str) -> int:
        """How many deliveries of this chat this process sent and has not recorded yet."""
        return self._unmarked.get(key, 0)

    def replies_delivered_soon(self, delivery_id: int, result: dict[str, Any], key: str) -> None:
        """The hot path: recorded within `mark_delay` seconds, with the others sent
        meanwhile, in one statement. A process killed in between sends those replies
        again after restart (they were taken by Telegram, not yet marked here)."""
        self._marks.append((delivery_id, result))
        self._unmarked[key] = self._unmarked.get(key, 0) + 1
        if self._flush is None:
            loop = asyncio.get_running_loop()
            self._flush = loop.call_later(self.mark_delay, self.flush_marks)

    def flush_marks(self) -> None:
        if self._flush is not None:
            self._flush.cancel()
            self._flush = None
        marks, self._marks = self._marks, []
        self._unmarked = {}  # from here on the database knows (or the worker resends)
        if marks:
            try:
                deliveries.replies_delivered(self.uow(), marks)
            except Exception as exc:  # the database is away: the worker sends them again
                log.error(
                    "could not record %d delivered replies: %s", len(marks), type(exc).__name__
                )

    def failed(
        self,
        delivery_id: int,
        error: str,
        *,
        retry_after: float | None = None,
        backoff: float = 1.0,
        backoff_max: float = 300.0,
    ) -> datetime:
        return deliveries.failed(
            self.uow(),
            delivery_id,
            error,
            retry_after=retry_after,
            backoff=backoff,
            backoff_max=backoff_max,
        )

    def release_leases(self, key_prefix: str) -> int:
        return deliveries.release_leases(self.uow(), key_prefix)

    def undeliverable(self, delivery_id: int, reason: str) -> None:
        """The chat cannot be written to (the member blocked the bot): no more retries."""
        deliveries.delivered(self.uow(), delivery_id, {"undeliverable": reason})
