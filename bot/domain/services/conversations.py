"""Dialogue state per conversation: load, save with a version check, forget.

A turn itself is `bot.domain.services.turns`; `load_conversation` / `save_conversation`
(with a version check) serve what is not a turn: a channel linking a chat it already
knows, reading a chat's language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    Connection,
    Integer,
    String,
    bindparam,
    exists,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from bot.domain.models import BusinessAccount, Conversation, ProcessedEvent
from bot.domain.services.privacy import forget_chat
from bot.domain.unit_of_work import UnitOfWork

_CONVERSATIONS = Conversation.__table__
_EVENTS = ProcessedEvent.__table__
_ACCOUNTS = BusinessAccount.__table__


@dataclass
class ConversationState:
    key: str
    email: str | None = None
    language: str | None = None
    state: dict[str, Any] = field(default_factory=dict)
    version: int = 0
    account_id: int | None = None  # of `email` when it was loaded, saving a look-up


# Built once: a prepared statement's cache key is computed on its first use only.
_WANTED = select(bindparam("key", type_=String).label("key")).subquery("wanted")
_LOAD = select(
    exists()
    .where(
        _EVENTS.c.conversation_key == bindparam("key"),
        _EVENTS.c.event_id == bindparam("event_id"),  # NULL (no event id) matches nothing
    )
    .label("seen"),
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


def load_conversation(
    uow: UnitOfWork, key: str, event_id: str | None = None
) -> ConversationState | None:
    """The conversation, or None when `event_id` was already handled (a retry).

    One Core statement on every turn (the ORM would cost more than the query itself): the
    conversation if any, its member's e-mail, and whether the event id was seen.
    """
    with uow.core_connection(write=False) as connection:
        found = connection.execute(_LOAD, {"key": key, "event_id": event_id}).one()
    if found.seen:
        return None
    if found.version is None:
        return ConversationState(key)
    return ConversationState(
        key, found.email, found.language, dict(found.state or {}), found.version, found.account_id
    )


_ACCOUNT_ID = func.coalesce(
    bindparam("known_account_id", type_=Integer),
    select(_ACCOUNTS.c.id).where(_ACCOUNTS.c.email == bindparam("email")).scalar_subquery(),
)
_SAVED_VALUES = {
    "account_id": _ACCOUNT_ID,
    "language": bindparam("new_language"),
    "state": bindparam("new_state", type_=Conversation.state.type),
    "version": bindparam("new_version"),
    "updated_at": bindparam("now", type_=Conversation.updated_at.type),
}
# One conditional UPDATE: it changes no row if another process saved first.
_UPDATE = (
    update(_CONVERSATIONS)
    .where(
        _CONVERSATIONS.c.key == bindparam("conversation_key"),
        _CONVERSATIONS.c.version == bindparam("old_version"),
    )
    .values(_SAVED_VALUES)
)
_INSERT = insert(_CONVERSATIONS).values(key=bindparam("conversation_key"), **_SAVED_VALUES)
_TAKE_EVENT = insert(_EVENTS).values(
    conversation_key=bindparam("conversation_key"),
    event_id=bindparam("new_event_id"),
    at=bindparam("now", type_=ProcessedEvent.at.type),
)


def _then_take_event(saved: Any) -> Any:
    """PostgreSQL: INSERT the event id only for the row the CTE `saved` wrote, one statement."""
    written = saved.returning(_CONVERSATIONS.c.key).cte("written")
    return (
        insert(_EVENTS)
        .from_select(
            ["conversation_key", "event_id", "at"],
            select(
                written.c.key,
                bindparam("new_event_id"),
                bindparam("now", type_=ProcessedEvent.at.type),
            ),
        )
        .returning(_EVENTS.c.id)
    )


_PG_UPDATE_AND_TAKE = _then_take_event(_UPDATE)
_PG_INSERT_AND_TAKE = _then_take_event(_INSERT)


def save_conversation(
    uow: UnitOfWork, conversation: ConversationState, event_id: str | None = None
) -> bool:
    """False when another process saved this conversation first, or took this event id.

    On PostgreSQL the save is one statement (the conditional UPDATE, or the first INSERT,
    and the event id only if it wrote), on bootstrap's chat-state pool: autocommit without
    waiting for the WAL flush. A crash can lose the last instant of a conversation, never
    domain data (those commits stay synchronous). SQLite runs the same steps in one
    transaction.
    """
    values = {
        "conversation_key": conversation.key,
        "old_version": conversation.version,
        "new_version": conversation.version + 1,
        "known_account_id": conversation.account_id if conversation.email else None,
        "email": conversation.email,
        "new_language": conversation.language,
        "new_state": conversation.state,
        "now": uow.clock.now(),
        "new_event_id": event_id,
    }
    first = conversation.version == 0
    try:
        with uow.core_connection(write=True) as connection:
            if connection.dialect.name == "postgresql":
                saved = _save_in_one_statement(connection, values, first, event_id is not None)
            else:
                saved = _save_in_steps(connection, values, first, event_id is not None)
    except IntegrityError:  # a racing first save, or the same event handled elsewhere
        return False
    if saved:
        conversation.version += 1
        if conversation.email is None:
            conversation.account_id = None
    return saved


def _save_in_one_statement(
    connection: Connection, values: dict[str, Any], first: bool, with_event: bool
) -> bool:
    if with_event:  # one row back when the conversation was written and the event taken
        statement = _PG_INSERT_AND_TAKE if first else _PG_UPDATE_AND_TAKE
        return connection.execute(statement, values).first() is not None
    return connection.execute(_INSERT if first else _UPDATE, values).rowcount == 1


def _save_in_steps(
    connection: Connection, values: dict[str, Any], first: bool, with_event: bool
) -> bool:
    if with_event:
        connection.execute(_TAKE_EVENT, values)
    if connection.execute(_UPDATE, values).rowcount == 1:
        return True
    if not first:
        connection.rollback()  # another process saved first: keep nothing, not even the event
        return False
    connection.execute(_INSERT, values)
    return True


def forget_conversation(uow: UnitOfWork, key: str) -> None:
    """The member asked to erase what the bot kept of this chat: everything that holds
    what was said or ties the chat to the person (`privacy.forget_chat`)."""
    forget_chat(uow, key)
