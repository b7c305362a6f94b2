"""Dialogue state per conversation: load, save with a version check, take event ids once."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select, text
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


def load_conversation(uow: UnitOfWork, key: str) -> ConversationState:
    with uow:
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
        if event_id is not None:
            uow.add(
                ProcessedEvent(
                    conversation_key=conversation.key, event_id=event_id, at=uow.clock.now()
                )
            )
        row = uow.session.scalars(
            select(Conversation).where(Conversation.key == conversation.key).with_for_update()
        ).one_or_none()
        if row is None:
            row = Conversation(key=conversation.key, version=0, state={})
            uow.add(row)
        elif row.version != conversation.version:
            return False
        if conversation.email is None:
            row.account_id = None
        elif conversation.account_id is None or row.account_id != conversation.account_id:
            row.account_id = uow.repo.account(conversation.email).id
        row.language = conversation.language
        row.state = conversation.state
        row.version = conversation.version + 1
        row.updated_at = uow.clock.now()
        try:
            uow.commit()
        except IntegrityError:  # a racing first save, or the same event handled elsewhere
            return False
        conversation.version = row.version
        return True


def event_seen(uow: UnitOfWork, key: str, event_id: str) -> bool:
    """True when this event id was already handled for this conversation (a retry)."""
    with uow:
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
