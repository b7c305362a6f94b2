"""Dialogue state per conversation: load, save with a version check, take event ids once."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from bot.domain.models import Conversation, ProcessedEvent
from bot.domain.unit_of_work import UnitOfWork


@dataclass
class ConversationState:
    key: str
    email: str | None = None
    language: str | None = None
    state: dict[str, Any] = field(default_factory=dict)
    version: int = 0


def load_conversation(uow: UnitOfWork, key: str) -> ConversationState:
    with uow:
        row = uow.session.scalars(select(Conversation).where(Conversation.key == key)).one_or_none()
        if row is None:
            return ConversationState(key)
        email = uow.repo.account_by_id(row.account_id).email if row.account_id else None
        return ConversationState(key, email, row.language, dict(row.state or {}), row.version)


def save_conversation(uow: UnitOfWork, conversation: ConversationState) -> bool:
    """False when another process saved this conversation first (the turn is then redone)."""
    with uow:
        row = uow.session.scalars(
            select(Conversation).where(Conversation.key == conversation.key).with_for_update()
        ).one_or_none()
        if row is None:
            row = Conversation(key=conversation.key, version=0, state={})
            uow.add(row)
        elif row.version != conversation.version:
            return False
        row.account_id = uow.repo.account(conversation.email).id if conversation.email else None
        row.language = conversation.language
        row.state = conversation.state
        row.version = conversation.version + 1
        row.updated_at = uow.clock.now()
        try:
            uow.commit()
        except IntegrityError:  # a first save raced with another process's first save
            return False
        conversation.version = row.version
        return True


def claim_event(uow: UnitOfWork, key: str, event_id: str) -> bool:
    """True the first time an event id is seen for this conversation, False on a repeat."""
    with uow:
        uow.add(ProcessedEvent(conversation_key=key, event_id=event_id, at=uow.clock.now()))
        try:
            uow.commit()
        except IntegrityError:
            return False
        return True


def forget_conversation(uow: UnitOfWork, key: str) -> None:
    """The member asked to erase what the bot kept of this chat."""
    with uow:
        uow.session.execute(delete(Conversation).where(Conversation.key == key))
        uow.session.execute(delete(ProcessedEvent).where(ProcessedEvent.conversation_key == key))
        uow.commit()
