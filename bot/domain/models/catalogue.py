"""Reference data: products with their points, membership levels, known dealers."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.domain.models.base import Base


class Product(Base):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    family: Mapped[str] = mapped_column(String(40))
    category: Mapped[str] = mapped_column(String(20))
    points: Mapped[int] = mapped_column(Integer)
    serial_pattern: Mapped[str] = mapped_column(String(120))
    serial_example: Mapped[str] = mapped_column(String(40))
    serial_location: Mapped[str] = mapped_column(String(40))


class Level(Base):
    """A membership level unlocked at min_points (R8: thresholds are data)."""

    __tablename__ = "levels"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(40))
    min_points: Mapped[int] = mapped_column(Integer)
    annual_fee: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    rank: Mapped[int] = mapped_column(Integer)


class Dealer(Base):
    __tablename__ = "dealers"
    __table_args__ = (UniqueConstraint("country", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    country: Mapped[str] = mapped_column(String(2), index=True)
    name: Mapped[str] = mapped_column(String(120))
    city: Mapped[str] = mapped_column(String(80))
