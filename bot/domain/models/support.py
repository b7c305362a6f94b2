"""Password links, the e-mail outbox, escalations and the staff audit log."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.domain.models.base import Base, StrEnumType, UTCDateTime, utcnow
from bot.domain.types import EscalationStatus, MailStatus, PasswordLinkPurpose

if TYPE_CHECKING:
    from bot.domain.models.accounts import BusinessAccount


class PasswordLinkToken(Base):
    """A single-use, expiring link (R1). Only the SHA-256 of the token is kept."""

    __tablename__ = "password_link_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("business_accounts.id"), index=True)
    purpose: Mapped[PasswordLinkPurpose] = mapped_column(StrEnumType(PasswordLinkPurpose))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Passwords refused on the page for this link (the page stops taking tries after a few).
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class PasswordCredential(Base):
    """The embedded identity store (`identity_backend: embedded`): an argon2id hash of the
    account's password, never the password. Production hands passwords to Keycloak."""

    __tablename__ = "password_credentials"

    account_id: Mapped[int] = mapped_column(ForeignKey("business_accounts.id"), primary_key=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class OutboxEmail(Base):
    """Mail waiting to be delivered (SMTP in production, printed on the console channel).

    The SMTP worker leases a row while it sends it (`leased_until`), retries a temporary
    failure at `next_attempt_at` (NULL: due at once) and records the server's permanent
    refusal as `failed`; `message_id` is fixed at the first attempt, so a re-sent mail is
    the same message.
    """

    __tablename__ = "outbox_emails"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    sender: Mapped[str] = mapped_column(String(254))
    recipient: Mapped[str] = mapped_column(String(254), index=True)
    language: Mapped[str] = mapped_column(String(2))
    template_data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[MailStatus] = mapped_column(
        StrEnumType(MailStatus), default=MailStatus.PENDING, server_default="pending", index=True
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # failed ones
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    leased_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(200))  # the server's words, masked
    message_id: Mapped[str | None] = mapped_column(String(200))


class Escalation(Base):
    """A member handed to a person: the card in Slack, the live relay, the helpdesk ticket."""

    __tablename__ = "escalations"
    __table_args__ = (
        # One card is one escalation: a button press on it finds exactly one row.
        UniqueConstraint("card_channel", "card_ts"),
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("business_accounts.id"), index=True)
    # The chat the member asked from ("telegram:42"): where staff replies are relayed.
    conversation_key: Mapped[str | None] = mapped_column(String(120), index=True)
    language: Mapped[str | None] = mapped_column(String(2))
    reason: Mapped[str] = mapped_column(String(40))
    status: Mapped[EscalationStatus] = mapped_column(
        StrEnumType(EscalationStatus), default=EscalationStatus.OPEN, index=True
    )
    # The member's state when the escalation was opened (None on rows older than handoff).
    context: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    transcript: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(80))  # Slack user id
    claimed_by_name: Mapped[str | None] = mapped_column(String(80))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_by: Mapped[str | None] = mapped_column(String(80))
    rating: Mapped[int | None] = mapped_column(Integer)
    rating_declined: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    card_channel: Mapped[str | None] = mapped_column(String(40))
    card_ts: Mapped[str | None] = mapped_column(String(40))
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    helpdesk_ticket: Mapped[str | None] = mapped_column(String(80))
    helpdesk_status: Mapped[str | None] = mapped_column(String(40))

    account: Mapped[BusinessAccount | None] = relationship()


class AuditEntry(Base):
    """One staff action: who did what to whom, and when."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(60))
    target: Mapped[str] = mapped_column(String(254))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
