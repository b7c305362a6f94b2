"""The programme's rules as plain functions: no database, no clock, no channel."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Protocol

import pycountry

from bot.domain import errors
from bot.domain.types import Detail, InvitationStatus, PaymentMethod

EARLIEST_PURCHASE = date(1987, 3, 1)  # the first EOS body went on sale in March 1987


class HasDetails(Protocol):
    serial_number: str | None
    purchase_date: date | None
    country: str | None
    dealer: str | None


def missing_details(registration: HasDetails) -> list[Detail]:
    """R5: the mandatory details still missing, in the order a flow asks for them."""
    present = {
        Detail.SERIAL_NUMBER: registration.serial_number,
        Detail.PURCHASE_DATE: registration.purchase_date,
        Detail.COUNTRY: registration.country,
        Detail.DEALER: registration.dealer,
    }
    return [detail for detail, value in present.items() if not value]


def earns_points(registration: HasDetails) -> bool:
    """R5: the green tick, only when all four mandatory details are there (guesses count)."""
    return not missing_details(registration)


def total_points(lines: Iterable[tuple[int, bool]]) -> int:
    """Sum of (points, assigned) lines; only ticked products count."""
    return sum(points for points, assigned in lines if assigned)


def invitation_due(points: int, threshold: int, status: InvitationStatus) -> bool:
    """R7: invite once, when the account first reaches the threshold."""
    return points >= threshold and status is InvitationStatus.NONE


@dataclass(frozen=True)
class LevelOption:
    code: str
    name: str
    min_points: int
    unlocked: bool
    points_needed: int
    annual_fee: Decimal | None = None


class LevelLike(Protocol):
    code: str
    name: str
    min_points: int
    rank: int


def level_options(
    levels: Iterable[LevelLike], points: int, *, only_available: bool
) -> list[LevelOption]:
    """R8: unlocked levels (switch ON) or every level with the points it still needs (OFF)."""
    options = [
        LevelOption(
            code=level.code,
            name=level.name,
            min_points=level.min_points,
            unlocked=points >= level.min_points,
            points_needed=max(0, level.min_points - points),
            annual_fee=getattr(level, "annual_fee", None),
        )
        for level in sorted(levels, key=lambda lv: lv.rank)
    ]
    return [o for o in options if o.unlocked] if only_available else options


@dataclass(frozen=True)
class PaymentTerms:
    card_due_days: int
    bank_transfer_due_days: int


def invoice_due_date(method: PaymentMethod, issued: date, terms: PaymentTerms) -> date:
    """R10: a card is charged on the due date; R11: a transfer must arrive by it."""
    days = terms.card_due_days if method is PaymentMethod.CARD else terms.bank_transfer_due_days
    return issued + timedelta(days=days)


def normalise_serial(
    serial: str, product_name: str, pattern: str, example: str, location: str
) -> str:
    """Serials are digits; members type spaces and dashes, which are dropped."""
    cleaned = re.sub(r"[\s\-.]", "", serial).upper()
    if not re.fullmatch(pattern, cleaned):
        raise errors.InvalidSerialNumber(serial, product_name, example, location)
    return cleaned


def check_purchase_date(value: date, today: date) -> date:
    if value > today:
        raise errors.InvalidPurchaseDate(value, "future")
    if value < EARLIEST_PURCHASE:
        raise errors.InvalidPurchaseDate(value, "too_old")
    return value


def normalise_country(code: str) -> str:
    """Countries are stored as ISO 3166-1 alpha-2."""
    cleaned = code.strip().upper()
    found = pycountry.countries.get(alpha_2=cleaned) if len(cleaned) == 2 else None
    if found is None:
        raise errors.UnknownCountry(code)
    return str(found.alpha_2)


def first_free_number(proposals: Iterable[str], is_taken: Callable[[str], bool]) -> str:
    """R13: the first proposed membership number that no member, old or new, ever had."""
    for number in proposals:
        if not is_taken(number):
            return number
    raise RuntimeError("membership number source ran dry")
