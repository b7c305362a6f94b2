"""The inbox: every inbound event, stored before the channel is told it arrived."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.domain.models.base import Base, StrEnumType, UTCDateTime, utcnow
from bot.domain.types import InboxStatus


class InboxEvent(Base):
    """One event of one channel (a Telegram update, a console line), unique by its id there.

    `payload` is the raw event, kept only until it is handled (so a restart can replay it);
    `seq` orders a conversation's events (Telegram's update_id, else arrival).
    """

    __tablename__ = "inbox_events"
    __table_args__ = (
        UniqueConstraint("channel", "event_id"),
        Index("ix_inbox_events_status_seq", "status", "seq"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    event_id: Mapped[str] = mapped_column(String(120))
    conversation_key: Mapped[str | None] = mapped_column(String(120), index=True)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    status: Mapped[InboxStatus] = mapped_column(StrEnumType(InboxStatus))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(200))  # a reason, never member text
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
