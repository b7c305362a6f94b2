"""Reference data (catalogue, levels, dealers) kept in step with data/: insert or update by key."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from bot.domain.models import Dealer, Level, Product
from bot.domain.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class ProductSpec:
    code: str
    name: str
    family: str
    category: str
    points: int
    serial_pattern: str
    serial_example: str
    serial_location: str


@dataclass(frozen=True)
class LevelSpec:
    code: str
    name: str
    min_points: int
    annual_fee: Decimal
    rank: int


@dataclass(frozen=True)
class DealerSpec:
    country: str
    name: str
    city: str


def sync_reference_data(
    uow: UnitOfWork,
    products: Iterable[ProductSpec],
    levels: Iterable[LevelSpec],
    dealers: Iterable[DealerSpec],
) -> None:
    """Idempotent: running it twice changes nothing; a changed value in data/ is updated."""
    with uow:
        session = uow.session
        by_code = {p.code: p for p in session.scalars(select(Product))}
        for spec in products:
            re.compile(spec.serial_pattern)  # a broken pattern fails the load, not a member
            _upsert(session, by_code.get(spec.code), Product, vars(spec))
        levels_by_code = {lv.code: lv for lv in session.scalars(select(Level))}
        for level in levels:
            _upsert(session, levels_by_code.get(level.code), Level, vars(level))
        known = {(d.country, d.name): d for d in session.scalars(select(Dealer))}
        for dealer in dealers:
            _upsert(session, known.get((dealer.country, dealer.name)), Dealer, vars(dealer))
        uow.commit()


def _upsert(session, existing, model, values) -> None:  # type: ignore[no-untyped-def]
    if existing is None:
        session.add(model(**values))
        return
    for key, value in values.items():
        setattr(existing, key, value)
