"""The durable message path as channels see it: the inbox in, the outbox out.

    channel event -> `receive` (stored, before the channel acknowledges it)
      -> the engine's turn (one transaction: conversation, domain, event done, replies queued)
      -> the channel sends the queued replies -> `delivered` (or `failed`: retried later)

Channel adapters reach the domain's inbox and deliveries only through this module, as they
reach the rest of the domain through the engine.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from bot.domain.services import deliveries, inbox
from bot.domain.services.inbox import Inbound, StoredEvent
from bot.domain.types import DeliveryTarget, InboxStatus
from bot.domain.unit_of_work import UnitOfWork

__all__ = ["Inbound", "Pipeline", "StoredEvent"]
MEMBER = DeliveryTarget.MEMBER.value


class Pipeline:
    def __init__(self, uow: Callable[[], UnitOfWork], max_attempts: int = 3) -> None:
        self.uow = uow
        self.max_attempts = max_attempts

    # -- in ------------------------------------------------------------------------------
    def receive_many(self, events: Sequence[Inbound]) -> list[bool]:
        """Stored in one commit; True for each event not seen before."""
        return inbox.receive_many(self.uow(), events)

    def receive(self, event: Inbound) -> bool:
        return inbox.receive(self.uow(), event)

    def set_aside(self, event: Inbound, reason: str) -> None:
        inbox.set_aside(self.uow(), event, reason)

    def turn_failed(self, channel: str, event_id: str, reason: str) -> bool:
        """Counts a failed attempt; True when the event is now set aside for good."""
        status = inbox.attempt_failed(
            self.uow(), channel, event_id, reason, max_attempts=self.max_attempts
        )
        return status is InboxStatus.DEAD

    def pending(
        self, channels: Iterable[str], *, older_than: float = 0.0, limit: int = 100
    ) -> list[StoredEvent]:
        return inbox.pending(
            self.uow(), channels, older_than=timedelta(seconds=older_than), limit=limit
        )

    def done(self, channel: str, event_id: str) -> None:
        inbox.mark_done(self.uow(), channel, event_id)

    def is_pending(self, channel: str, event_id: str) -> bool:
        return inbox.status_of(self.uow(), channel, event_id) is InboxStatus.PENDING

    def pending_of(self, key: str) -> list[StoredEvent]:
        return inbox.pending_of(self.uow(), key)

    # -- out -----------------------------------------------------------------------------
    def delivered(self, delivery_id: int, result: dict[str, Any] | None = None) -> None:
        deliveries.delivered(self.uow(), delivery_id, result)

    def replies_delivered(self, delivery_id: int, result: dict[str, Any]) -> None:
        """A turn's replies sent at once (the hot path: one statement)."""
        deliveries.replies_delivered(self.uow(), delivery_id, result)

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
