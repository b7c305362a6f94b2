"""Business accounts and the old CPS accounts products can be migrated from."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.domain.models.base import Base, StrEnumType, UTCDateTime, utcnow
from bot.domain.types import DatePrecision, PasswordState

if TYPE_CHECKING:
    from bot.domain.models.catalogue import Product
    from bot.domain.models.registrations import Registration


class BusinessAccount(Base):
    __tablename__ = "business_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    language: Mapped[str] = mapped_column(String(2))
    country: Mapped[str] = mapped_column(String(2))
    password_state: Mapped[PasswordState] = mapped_column(
        StrEnumType(PasswordState), default=PasswordState.NOT_SET
    )
    # The old CPS e-mail the member gave when asking for this account (R3), if any.
    legacy_email: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    registrations: Mapped[list[Registration]] = relationship(
        back_populates="account", order_by="Registration.id"
    )


class LegacyAccount(Base):
    """An account of the old CPS programme, with its member number and registrations."""

    __tablename__ = "legacy_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    old_member_number: Mapped[str | None] = mapped_column(String(40), unique=True)
    migrated_to_id: Mapped[int | None] = mapped_column(ForeignKey("business_accounts.id"))
    migrated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    registrations: Mapped[list[LegacyRegistration]] = relationship(
        back_populates="legacy_account", order_by="LegacyRegistration.id"
    )


class LegacyRegistration(Base):
    __tablename__ = "legacy_registrations"

    id: Mapped[int] = mapped_column(primary_key=True)
    legacy_account_id: Mapped[int] = mapped_column(ForeignKey("legacy_accounts.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    serial_number: Mapped[str | None] = mapped_column(String(40))
    purchase_date: Mapped[date | None] = mapped_column(Date)
    purchase_date_precision: Mapped[DatePrecision | None] = mapped_column(
        StrEnumType(DatePrecision)
    )
    country: Mapped[str | None] = mapped_column(String(2))
    dealer: Mapped[str | None] = mapped_column(String(120))
    migrated: Mapped[bool] = mapped_column(Boolean, default=False)

    legacy_account: Mapped[LegacyAccount] = relationship(back_populates="registrations")
    product: Mapped[Product] = relationship()
