"""A member's turn as ONE transaction: the conversation, the domain, the inbox, the outbox.

    with open_turn(uow, key, channel, event_id) as turn:   # None: not this turn's event
        ...the use cases, each on turn.use_case_uow() (a SAVEPOINT)...
        turn.queue_replies(payload, idempotency_key)
        turn.commit()

`open_turn` locks the conversation against every other process (PostgreSQL: an advisory
lock for the transaction; SQLite: BEGIN IMMEDIATE, its one writer), then reads in one
statement the event's place in the inbox, the conversation and its member, and whether
an earlier message to the chat still waits. `commit` writes in one statement (PostgreSQL;
three on SQLite) the event done, the conversation and the replies' delivery, with (one
more statement, same round trip) what the turn did for the report (`events`), and commits.
On PostgreSQL the lock and the read travel together, as do the write and the COMMIT
(psycopg's pipeline mode): a turn costs two round trips, plus its use cases' own.
So there is nothing to redo: a turn's domain effects happen once, with its answer.

The event: handled already, or behind an older pending event of the same chat (that one
goes first; whoever handles it goes on with this one) -> not this turn's. One the channel
did not store first (a direct call) is recorded as done; the unique (channel, event id)
still lets only one turn take it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import Any

from sqlalchemy import Executable, String, bindparam, func, insert, select, text
from sqlalchemy import update as update_

from bot.domain.driver_sql import DriverConnection
from bot.domain.models import BusinessAccount, Conversation, Delivery, Event, InboxEvent
from bot.domain.services.conversations import ConversationState
from bot.domain.services.events import Mark
from bot.domain.types import DeliveryTarget, InboxStatus
from bot.domain.unit_of_work import UnitOfWork

_INBOX = InboxEvent.__table__
_CONVERSATIONS = Conversation.__table__
_ACCOUNTS = BusinessAccount.__table__
_DELIVERIES = Delivery.__table__
_EVENTS = Event.__table__
# While the turn's own process sends its replies, no delivery worker takes them.
SENDER_LEASE = timedelta(seconds=30)

# Parameters are named b_*: a name that is also a column of the written table is taken.
_KEY = bindparam("b_key", type_=String)
_PENDING_OF_CHAT = (_INBOX.c.conversation_key == _KEY, _INBOX.c.status == InboxStatus.PENDING)
_THIS_EVENT = (
    _INBOX.c.channel == bindparam("b_channel"),
    _INBOX.c.event_id == bindparam("b_event_id"),
)
_WANTED = select(_KEY.label("key")).subquery("wanted")
_READ = select(
    select(_INBOX.c.id).where(*_THIS_EVENT).scalar_subquery().label("event_row"),
    select(_INBOX.c.status).where(*_THIS_EVENT).scalar_subquery().label("event_status"),
    select(_INBOX.c.id)
    .where(*_PENDING_OF_CHAT)
    .order_by(_INBOX.c.seq, _INBOX.c.id)
    .limit(1)
    .scalar_subquery()
    .label("head"),
    select(func.count())
    .select_from(select(_INBOX.c.id).where(*_PENDING_OF_CHAT).limit(2).subquery())
    .scalar_subquery()
    .label("pending"),
    select(func.count())
    .where(
        _DELIVERIES.c.conversation_key == _KEY,
        _DELIVERIES.c.target == DeliveryTarget.MEMBER,
        _DELIVERIES.c.delivered_at.is_(None),
    )
    .scalar_subquery()
    .label("undelivered"),
    _CONVERSATIONS.c.language,
    _CONVERSATIONS.c.state,
    _CONVERSATIONS.c.version,
    _CONVERSATIONS.c.account_id,
    _ACCOUNTS.c.email,
).select_from(
    _WANTED.outerjoin(_CONVERSATIONS, _CONVERSATIONS.c.key == _WANTED.c.key).outerjoin(
        _ACCOUNTS, _ACCOUNTS.c.id == _CONVERSATIONS.c.account_id
    )
)

_NOW = bindparam("now", type_=Conversation.updated_at.type)
_EVENT_DONE = {"status": InboxStatus.DONE, "handled_at": _NOW, "payload": None, "error": None}
_EVENT_UPDATE = update_(_INBOX).where(_INBOX.c.id == bindparam("event_row")).values(_EVENT_DONE)
_EVENT_INSERT = insert(_INBOX).values(
    channel=bindparam("b_channel"),
    event_id=bindparam("b_event_id"),
    conversation_key=_KEY,
    seq=0,
    attempts=0,
    received_at=_NOW,
    **_EVENT_DONE,
)
_ACCOUNT_ID = func.coalesce(
    bindparam("known_account_id", type_=Conversation.account_id.type),
    select(_ACCOUNTS.c.id).where(_ACCOUNTS.c.email == bindparam("email")).scalar_subquery(),
)
_CONVERSATION_VALUES = {
    "account_id": _ACCOUNT_ID,
    "language": bindparam("b_language"),
    "state": bindparam("b_state", type_=Conversation.state.type),
    "version": bindparam("b_version"),
    "updated_at": _NOW,
}
_CONVERSATION_UPDATE = (
    update_(_CONVERSATIONS).where(_CONVERSATIONS.c.key == _KEY).values(_CONVERSATION_VALUES)
)
_CONVERSATION_INSERT = insert(_CONVERSATIONS).values(key=_KEY, **_CONVERSATION_VALUES)
_DELIVERY_INSERT = insert(_DELIVERIES).values(
    target=DeliveryTarget.MEMBER,
    conversation_key=_KEY,
    payload=bindparam("b_payload", type_=Delivery.payload.type),
    idempotency_key=bindparam("b_idempotency_key"),
    attempts=0,
    next_attempt_at=bindparam("b_next_attempt_at", type_=Delivery.next_attempt_at.type),
    created_at=_NOW,
)


_MARKED = ("kind", "name", "detail", "escalation_id", "text", "value")


@cache
def _events_insert(count: int) -> Executable:
    """The turn's `count` events in one INSERT, with the conversation's channel, language
    and account (the account as the conversation's write resolves it)."""
    rows = [
        {
            "at": _NOW,
            "channel": bindparam("b_channel"),
            "language": bindparam("b_language"),
            "conversation_key": _KEY,
            "account_id": _ACCOUNT_ID,
            **{c: bindparam(f"e{n}_{c}", type_=_EVENTS.c[c].type) for c in _MARKED},
        }
        for n in range(count)
    ]
    return insert(_EVENTS).values(rows)


# PostgreSQL: turns of one conversation one at a time, across processes (an advisory lock
# held to the end of the transaction). SQLite's BEGIN IMMEDIATE already holds its one lock.
_LOCK = select(func.pg_advisory_xact_lock(func.hashtextextended(_KEY, 0)))


# A turn that touched no domain data (a greeting, the points, the FAQ) commits without
# waiting for PostgreSQL's WAL flush: a database crash in the next instant can lose that
# turn, atomically; its event, stored durably before, is then handled again (its answer
# may be sent twice, nothing else happens twice). A turn whose use cases ran waits.
_NO_FLUSH_WAIT = text("SET LOCAL synchronous_commit TO OFF")


@cache
def _writes(event: str | None, new_conversation: bool, replies: bool) -> list[Executable]:
    """The turn's writes: event done ("insert", "update" or None), the conversation, and
    the replies' delivery (RETURNING its id), as separate statements."""
    statements: list[Executable] = []
    if event is not None:
        statements.append(_EVENT_INSERT if event == "insert" else _EVENT_UPDATE)
    statements.append(_CONVERSATION_INSERT if new_conversation else _CONVERSATION_UPDATE)
    if replies:
        statements.append(_DELIVERY_INSERT.returning(_DELIVERIES.c.id))
    return statements


@cache
def _one_statement(event: str | None, new_conversation: bool, replies: bool) -> Executable:
    """PostgreSQL: the same writes in one round trip, the first ones as writable CTEs."""
    *first, last = _writes(event, new_conversation, replies)
    return last.add_cte(*(s.cte(f"write_{n}") for n, s in enumerate(first)))  # type: ignore[attr-defined]


@dataclass
class QueuedReplies:
    delivery_id: int
    send_now: bool  # the turn's process sends them (no earlier message to the chat waits)


class OpenTurn:
    """A turn in progress: the conversation locked and read inside the turn's transaction."""

    def __init__(
        self,
        uow: UnitOfWork,
        connection: DriverConnection,
        conversation: ConversationState,
        event: tuple[str | None, dict[str, Any]],
        *,
        more_waiting: bool,
        undelivered: int,
    ) -> None:
        self.uow = uow
        self.connection = connection
        self.conversation = conversation
        self.more_waiting = more_waiting  # more events of this chat wait in the inbox
        self._event_write, self._values = event
        self.undelivered = undelivered  # earlier messages to this chat not marked delivered
        self._delivery: dict[str, Any] | None = None
        self._marks: list[Mark] = []
        self._behind = False
        self.queued: QueuedReplies | None = None

    def use_case_uow(self) -> UnitOfWork:
        """What each use case of this turn runs in: a savepoint of the turn's transaction."""
        return self.uow.nested()

    def queue_replies(
        self, payload: dict[str, Any], idempotency_key: str, *, behind_others: bool
    ) -> None:
        """The replies become a delivery written with the turn: sent at once by the caller,
        or, `behind_others` (an earlier message to this chat still waits), queued behind
        them for the delivery worker."""
        now = self.uow.clock.now()
        self._behind = behind_others
        self._delivery = {
            "b_payload": payload,
            "b_idempotency_key": idempotency_key,
            "b_next_attempt_at": now if behind_others else now + SENDER_LEASE,
        }

    def record(self, marks: list[Mark]) -> None:
        """What the turn did, for the report (`events`): written with the turn."""
        self._marks = list(marks)

    def commit(self) -> None:
        """Event done, conversation saved, replies queued, events recorded, domain
        changes: all or nothing."""
        conversation = self.conversation
        values = {
            **self._values,
            **(self._delivery or {}),
            "now": self.uow.clock.now(),
            "known_account_id": conversation.account_id if conversation.email else None,
            "email": conversation.email,
            "b_language": conversation.language,
            "b_state": conversation.state,
            "b_version": conversation.version + 1,
        }
        for n, mark in enumerate(self._marks):
            values.update({f"e{n}_{c}": v for c, v in mark.row().items()})
        events = [_events_insert(len(self._marks))] if self._marks else []
        shape = (self._event_write, conversation.version == 0, self._delivery is not None)
        self.uow.flush()  # what the use cases left unflushed belongs to this transaction
        if self.connection.dialect.name == "postgresql":  # the writes with the COMMIT
            statements = [*events, _one_statement(*shape)]
            if not self.uow.used_domain:  # chat state only: no need to wait for the disk
                statements.insert(0, _NO_FLUSH_WAIT)
            result = self.connection.pipelined(statements, values, commit=True)[-1]
        else:
            statements = [*events, *_writes(*shape)]
            result = self.connection.pipelined(statements, values, commit=True)[-1]
        if self._delivery is not None:
            self.queued = QueuedReplies(result.scalar_one(), send_now=not self._behind)
        self.uow.commit()  # the driver committed: SQLAlchemy's bookkeeping only
        conversation.version += 1


@contextmanager
def open_turn(
    uow: UnitOfWork, key: str, channel: str, event_id: str | None
) -> Iterator[OpenTurn | None]:
    """The conversation locked and read for one turn; None when the event is not this
    turn's (handled already, or an older event of the chat goes first)."""
    with uow.for_turn() as turn_uow:
        uow = turn_uow
        # The turn's own statements on the driver, in the transaction SQLAlchemy opened.
        connection = DriverConnection.in_transaction(turn_uow.connection)
        values = {"b_key": key, "b_channel": channel, "b_event_id": event_id}
        if connection.dialect.name == "postgresql":  # the lock and the read: one round trip
            found = connection.pipelined([_LOCK, _READ], values)[1].one()
        else:
            found = connection.execute(_READ, values).one()  # SQLite: BEGIN IMMEDIATE locked
        event_write: str | None = None
        if event_id is not None:
            if found.event_row is None:
                event_write = "insert"
            elif InboxStatus(found.event_status) is not InboxStatus.PENDING:
                yield None
                return
            elif found.head != found.event_row:
                yield None  # an older event of this chat waits: it goes first
                return
            else:
                event_write = "update"
                values["event_row"] = found.event_row
        if found.version is None:
            conversation = ConversationState(key)
        else:
            conversation = ConversationState(
                key,
                found.email,
                found.language,
                dict(found.state or {}),
                found.version,
                found.account_id,
            )
        yield OpenTurn(
            uow,
            connection,
            conversation,
            (event_write, values),
            more_waiting=event_write == "update" and found.pending > 1,
            undelivered=found.undelivered,
        )
