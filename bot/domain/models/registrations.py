"""A product registered on a business account ("My Products")."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.domain.models.base import Base, StrEnumType, UTCDateTime, utcnow
from bot.domain.types import DatePrecision, RegistrationSource

if TYPE_CHECKING:
    from bot.domain.models.accounts import BusinessAccount
    from bot.domain.models.catalogue import Product


class Registration(Base):
    __tablename__ = "registrations"
    # One physical item is registered once, whoever registers it.
    __table_args__ = (UniqueConstraint("product_id", "serial_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("business_accounts.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    serial_number: Mapped[str | None] = mapped_column(String(40))
    purchase_date: Mapped[date | None] = mapped_column(Date)
    purchase_date_precision: Mapped[DatePrecision | None] = mapped_column(
        StrEnumType(DatePrecision)
    )
    purchase_date_guessed: Mapped[bool] = mapped_column(Boolean, default=False)
    country: Mapped[str | None] = mapped_column(String(2))
    country_guessed: Mapped[bool] = mapped_column(Boolean, default=False)
    dealer: Mapped[str | None] = mapped_column(String(120))
    dealer_guessed: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[RegistrationSource] = mapped_column(StrEnumType(RegistrationSource))
    points: Mapped[int] = mapped_column(Integer)
    points_assigned: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    account: Mapped[BusinessAccount] = relationship(back_populates="registrations")
    product: Mapped[Product] = relationship()


from bot.domain.models.catalogue import Product  # noqa: E402
