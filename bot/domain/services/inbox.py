"""The inbox: inbound events stored durably before the channel is told they arrived.

A channel stores each event (`receive_many`) before it acknowledges it: in
polling before the next getUpdates offset confirms it, in webhook mode before the 200. The
turn that handles an event marks it done in the turn's own transaction (`turns`), so an
event is handled once however often it arrives. What a restart finds still pending is
handled then (`pending`). An event that cannot be parsed, or keeps failing, is set aside
(`DEAD`) with its reason, for an operator to list (`dead_letters`) and `replay`. What is
stored is fit to store: clean text, no password where a person types (`bot.privacy`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any, Protocol

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite

from bot.domain import errors
from bot.domain.models import InboxEvent
from bot.domain.types import InboxStatus
from bot.domain.unit_of_work import UnitOfWork
from bot.privacy.payloads import fit_to_store

_INBOX = InboxEvent.__table__
REASON_LENGTH = 200


@dataclass(frozen=True)
class Inbound:
    """An event as a channel hands it in: `payload` is what it needs to handle it again."""

    channel: str
    event_id: str
    conversation_key: str | None
    seq: int
    payload: dict[str, Any] | None


@dataclass(frozen=True)
class StoredEvent:
    id: int
    channel: str
    event_id: str
    conversation_key: str | None
    seq: int
    payload: dict[str, Any] | None
    status: str
    attempts: int
    error: str | None
    received_at: datetime


def _insert_ignoring_duplicates(dialect_name: str) -> Any:
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    return dialect.insert(_INBOX).on_conflict_do_nothing(index_elements=["channel", "event_id"])


_COLUMNS = ("channel", "event_id", "conversation_key", "seq", "payload", "status", "attempts")


@cache
def _insert_batch(dialect_name: str, size: int) -> Any:
    """INSERT of `size` events, duplicates ignored, RETURNING the new ones: prebuilt once
    per size (parameters `<column>_<n>`), so a batch never compiles SQL again."""
    rows = [
        {
            **{
                column: bindparam(f"{column}_{n}", type_=_INBOX.c[column].type)
                for column in _COLUMNS
            },
            "received_at": bindparam("received_at", type_=_INBOX.c.received_at.type),
        }
        for n in range(size)
    ]
    statement = _insert_ignoring_duplicates(dialect_name).values(rows)
    return statement.returning(_INBOX.c.channel, _INBOX.c.event_id)


def receive_many(uow: UnitOfWork, events: Sequence[Inbound]) -> list[bool]:
    """Store the events in one statement, committed at once; for each, whether it is new."""
    if not events:
        return []
    statement, values = _batch(uow, events)
    # A synchronous commit on the domain's engine: durable before the channel's ack.
    return _fresh(uow.write_durably(statement, values), events)


async def receive_many_async(
    uow: UnitOfWork, writer: DurableWriter, events: Sequence[Inbound]
) -> list[bool]:
    """`receive_many` through an asyncio writer (PostgreSQL): the event loop goes on
    while the server writes the events to disk."""
    if not events:
        return []
    statement, values = _batch(uow, events)
    return _fresh(await writer.write(statement, values), events)


class DurableWriter(Protocol):
    async def write(self, statement: Any, values: dict[str, Any]) -> list[Any]: ...


def _batch(uow: UnitOfWork, events: Sequence[Inbound]) -> tuple[Any, dict[str, Any]]:
    values: dict[str, Any] = {"received_at": uow.clock.now()}
    for n, event in enumerate(events):
        values |= {
            f"channel_{n}": event.channel,
            f"event_id_{n}": event.event_id,
            f"conversation_key_{n}": event.conversation_key,
            f"seq_{n}": event.seq,
            f"payload_{n}": fit_to_store(event.payload),
            f"status_{n}": InboxStatus.PENDING,
            f"attempts_{n}": 0,
        }
    return _insert_batch(uow.dialect_name, len(events)), values


def _fresh(rows: Iterable[Any], events: Sequence[Inbound]) -> list[bool]:
    fresh = {(row.channel, row.event_id) for row in rows}
    return [(e.channel, e.event_id) in fresh for e in events]


def set_aside(uow: UnitOfWork, event: Inbound, reason: str) -> None:
    """An event no one can handle (it cannot be parsed): kept, dead, for an operator."""
    with uow:
        now = uow.clock.now()
        connection = uow.session.connection()
        connection.execute(
            _insert_ignoring_duplicates(connection.dialect.name),
            {
                "channel": event.channel,
                "event_id": event.event_id,
                "conversation_key": event.conversation_key,
                "seq": event.seq,
                "payload": fit_to_store(event.payload),
                "status": InboxStatus.DEAD,
                "attempts": 1,
                "error": reason[:REASON_LENGTH],
                "received_at": now,
            },
        )
        uow.commit()


def mark_done(uow: UnitOfWork, channel: str, event_id: str) -> None:
    """An event handled without a turn (nothing to say, or said outside the outbox)."""
    with uow:
        uow.session.execute(
            update(_INBOX)
            .where(
                _INBOX.c.channel == channel,
                _INBOX.c.event_id == event_id,
                _INBOX.c.status == InboxStatus.PENDING,
            )
            .values(status=InboxStatus.DONE, handled_at=uow.clock.now(), payload=None)
        )
        uow.commit()


def pending_of(uow: UnitOfWork, key: str) -> list[StoredEvent]:
    """The conversation's pending events, oldest first (to go on with after a turn)."""
    with uow:
        query = (
            select(InboxEvent)
            .where(InboxEvent.conversation_key == key, InboxEvent.status == InboxStatus.PENDING)
            .order_by(InboxEvent.seq, InboxEvent.id)
        )
        return [_stored(row) for row in uow.session.scalars(query)]


def attempt_failed(
    uow: UnitOfWork, channel: str, event_id: str, reason: str, *, max_attempts: int
) -> InboxStatus:
    """A turn on this event failed; after `max_attempts` it is set aside (DEAD)."""
    with uow:
        row = uow.repo.locked(
            select(InboxEvent).where(InboxEvent.channel == channel, InboxEvent.event_id == event_id)
        )
        if row is None or row.status is not InboxStatus.PENDING:
            return row.status if row is not None else InboxStatus.DONE
        row.attempts += 1
        row.error = reason[:REASON_LENGTH]
        if row.attempts >= max_attempts:
            row.status = InboxStatus.DEAD
        uow.commit()
        return row.status


def pending(
    uow: UnitOfWork,
    channels: Iterable[str],
    *,
    older_than: timedelta = timedelta(0),
    limit: int = 100,
) -> list[StoredEvent]:
    """Pending events received before `older_than` ago, the head of each conversation first."""
    with uow:
        cutoff = uow.clock.now() - older_than
        query = (
            select(InboxEvent)
            .where(
                InboxEvent.status == InboxStatus.PENDING,
                InboxEvent.channel.in_(list(channels)),
                InboxEvent.received_at <= cutoff,
            )
            .order_by(InboxEvent.seq, InboxEvent.id)
            .limit(limit)
        )
        return [_stored(row) for row in uow.session.scalars(query)]


def dead_letters(uow: UnitOfWork, channel: str | None = None) -> list[StoredEvent]:
    with uow:
        query = select(InboxEvent).where(InboxEvent.status == InboxStatus.DEAD)
        if channel is not None:
            query = query.where(InboxEvent.channel == channel)
        return [_stored(row) for row in uow.session.scalars(query.order_by(InboxEvent.id))]


def replay(uow: UnitOfWork, event_row_id: int) -> StoredEvent:
    """An operator sends a dead event back: pending again, its attempts counted afresh."""
    with uow:
        row = uow.repo.locked(select(InboxEvent).where(InboxEvent.id == event_row_id))
        if row is None or row.status is not InboxStatus.DEAD:
            raise errors.InboxEventNotDead(event_row_id)
        row.status, row.attempts, row.error = InboxStatus.PENDING, 0, None
        row.received_at = uow.clock.now() - timedelta(days=1)  # due for the next sweep
        uow.commit()
        return _stored(row)


def _stored(row: InboxEvent) -> StoredEvent:
    return StoredEvent(
        id=row.id,
        channel=row.channel,
        event_id=row.event_id,
        conversation_key=row.conversation_key,
        seq=row.seq,
        payload=dict(row.payload) if row.payload is not None else None,
        status=row.status.value,
        attempts=row.attempts,
        error=row.error,
        received_at=row.received_at,
    )
