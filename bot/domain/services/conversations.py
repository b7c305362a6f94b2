"""Dialogue state per conversation: load, save with a version check, take event ids once."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from bot.domain.models import BusinessAccount, Conversation, ProcessedEvent
from bot.domain.unit_of_work import UnitOfWork


@dataclass
class ConversationState:
    key: str
    email: str | None = None
    language: str | None = None
    state: dict[str, Any] = field(default_factory=dict)
    version: int = 0
    account_id: int | None = None  # of `email` when it was loaded, saving a look-up


def load_conversation(
    uow: UnitOfWork, key: str, event_id: str | None = None
) -> ConversationState | None:
    """The conversation, or None when `event_id` was already handled (a retry)."""
    with uow:
        if event_id is not None and _seen(uow, key, event_id):
            return None
        query = (
            select(Conversation, BusinessAccount.email)
            .outerjoin(BusinessAccount, BusinessAccount.id == Conversation.account_id)
            .where(Conversation.key == key)
        )
        found = uow.session.execute(query).one_or_none()
        if found is None:
            return ConversationState(key)
        row, email = found
        return ConversationState(
            key, email, row.language, dict(row.state or {}), row.version, row.account_id
        )


def save_conversation(
    uow: UnitOfWork, conversation: ConversationState, event_id: str | None = None
) -> bool:
    """False when another process saved this conversation first, or took this event id.

    Chat state is written without waiting for PostgreSQL's WAL flush: a crash can lose the
    last instant of a conversation, never domain data (those commits stay synchronous).
    """
    with uow:
        if uow.session.get_bind().dialect.name == "postgresql":
            uow.session.execute(text("SET LOCAL synchronous_commit TO OFF"))
        if event_id is not None:  # Core statements: the ORM's flush machinery is not needed
            uow.session.execute(
                insert(ProcessedEvent).values(
                    conversation_key=conversation.key, event_id=event_id, at=uow.clock.now()
                )
            )
        account_id = conversation.account_id
        if conversation.email is not None and account_id is None:
            account_id = uow.repo.account(conversation.email).id
        values = {
            "account_id": account_id if conversation.email else None,
            "language": conversation.language,
            "state": conversation.state,
            "version": conversation.version + 1,
            "updated_at": uow.clock.now(),
        }
        # One conditional UPDATE: it fails (0 rows) if another process saved first.
        updated = uow.session.execute(
            update(Conversation)
            .where(
                Conversation.key == conversation.key, Conversation.version == conversation.version
            )
            .values(**values)
        )
        if updated.rowcount == 0:
            if conversation.version != 0:
                return False
            uow.session.execute(insert(Conversation).values(key=conversation.key, **values))
        try:
            uow.commit()
        except IntegrityError:  # a racing first save, or the same event handled elsewhere
            return False
        conversation.version += 1
        conversation.account_id = values["account_id"]
        return True


def _seen(uow: UnitOfWork, key: str, event_id: str) -> bool:
    query = select(ProcessedEvent.id).where(
        ProcessedEvent.conversation_key == key, ProcessedEvent.event_id == event_id
    )
    return uow.session.scalars(query).first() is not None


def forget_conversation(uow: UnitOfWork, key: str) -> None:
    """The member asked to erase what the bot kept of this chat."""
    with uow:
        uow.session.execute(delete(Conversation).where(Conversation.key == key))
        uow.session.execute(delete(ProcessedEvent).where(ProcessedEvent.conversation_key == key))
        uow.commit()
