"""The programme side: invitations (R7), memberships (R12, R13) and their invoices."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import Date, ForeignKey, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.domain.models.base import Base, StrEnumType, UTCDateTime, utcnow
from bot.domain.types import InvitationStatus, MembershipStatus, PaymentMethod

if TYPE_CHECKING:
    from bot.domain.models.catalogue import Level


class Invitation(Base):
    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("business_accounts.id"), unique=True)
    status: Mapped[InvitationStatus] = mapped_column(StrEnumType(InvitationStatus))
    points_at_issue: Mapped[int] = mapped_column(Integer)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    times_sent: Mapped[int] = mapped_column(Integer, default=1)
    last_sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Membership(Base):
    __tablename__ = "memberships"

    id: Mapped[int] = mapped_column(primary_key=True)
    # unique: two concurrent enrolments of one account can never both land.
    account_id: Mapped[int] = mapped_column(ForeignKey("business_accounts.id"), unique=True)
    level_id: Mapped[int] = mapped_column(ForeignKey("levels.id"))
    payment_method: Mapped[PaymentMethod] = mapped_column(StrEnumType(PaymentMethod))
    number: Mapped[str] = mapped_column(String(40), unique=True)
    status: Mapped[MembershipStatus] = mapped_column(StrEnumType(MembershipStatus))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    level: Mapped[Level] = relationship()
    invoices: Mapped[list[Invoice]] = relationship(
        back_populates="membership", order_by="Invoice.id"
    )


class Invoice(Base):
    __tablename__ = "invoices"

    id: Mapped[int] = mapped_column(primary_key=True)
    membership_id: Mapped[int] = mapped_column(ForeignKey("memberships.id"), index=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    currency: Mapped[str] = mapped_column(String(3))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_date: Mapped[date] = mapped_column(Date)
    # a bank transfer's reminder to the member's chats, a few days before the due date
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    membership: Mapped[Membership] = relationship(back_populates="invoices")
