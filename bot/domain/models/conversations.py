"""Dialogue state, kept in the database so a restart or a second process loses nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.domain.models.base import Base, UTCDateTime, utcnow


class Conversation(Base):
    """One chat with one member on one channel; `key` is "<channel>:<chat id>"."""

    __tablename__ = "conversations"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("business_accounts.id"), index=True)
    language: Mapped[str | None] = mapped_column(String(2))
    state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ProcessedEvent(Base):
    """An incoming event id taken once: channels retry, members double-tap."""

    __tablename__ = "processed_events"
    __table_args__ = (UniqueConstraint("conversation_key", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_key: Mapped[str] = mapped_column(String(120))
    event_id: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
