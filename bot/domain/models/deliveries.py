"""Messages to Slack, the helpdesk and members, kept until they land (a transactional outbox)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from bot.domain.models.base import Base, StrEnumType, UTCDateTime, utcnow
from bot.domain.types import DeliveryTarget


class Delivery(Base):
    """Queued in the transaction of the change it reports; a worker sends it, with retries."""

    __tablename__ = "deliveries"
    __table_args__ = (
        # What is still on its way, for the workers and the metrics' outbox figures: a few
        # rows among a year of landed ones (kept for `retention_days`).
        Index(
            "ix_deliveries_undelivered",
            "target",
            "created_at",
            postgresql_where=text("delivered_at IS NULL"),
            sqlite_where=text("delivered_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    target: Mapped[DeliveryTarget] = mapped_column(StrEnumType(DeliveryTarget))
    escalation_id: Mapped[int | None] = mapped_column(ForeignKey("escalations.id"), index=True)
    # Set on messages to a member's chat, so each channel's worker takes only its own.
    conversation_key: Mapped[str | None] = mapped_column(String(120), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Unique: the same change never queues twice; also sent as the helpdesk's Idempotency-Key.
    idempotency_key: Mapped[str] = mapped_column(String(160), unique=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # failed attempts so far
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(200))  # short, never a secret
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
