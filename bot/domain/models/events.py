"""What happened, for the numbers staff read (`cps-bot report`, the Slack App Home).

One row per fact, written in the transaction that made it happen (a member's turn, a card
that could not be posted): a turn and how it went, a flow started or ended, a handoff and
its reason, a step of the joining journey. Only figures and names; the one text kept is a
message the bot did not understand, redacted (no e-mail, phone, password or code), and it
is blanked with the chat key after `retention_days` (`privacy_retention`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.domain.models.base import Base, UTCDateTime, utcnow


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (Index("ix_events_kind_at", "kind", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    # turn | flow | handoff | staff_unreachable | milestone
    kind: Mapped[str] = mapped_column(String(20))
    # turn: its outcome; flow: the flow; handoff: the reason; milestone: the journey's step
    name: Mapped[str] = mapped_column(String(40))
    # flow: started | completed | declined | cancelled; turn: the intent the NLU read
    detail: Mapped[str | None] = mapped_column(String(40))
    channel: Mapped[str | None] = mapped_column(String(20))
    language: Mapped[str | None] = mapped_column(String(2))
    conversation_key: Mapped[str | None] = mapped_column(String(120), index=True)
    # No foreign key: erasing a member deletes their events, it is never blocked by them.
    account_id: Mapped[int | None] = mapped_column(Integer, index=True)
    escalation_id: Mapped[int | None] = mapped_column(Integer)
    text: Mapped[str | None] = mapped_column(String(200))  # a not-understood message, redacted
    value: Mapped[float | None] = mapped_column(Float)  # turn: milliseconds to its answer
