"""The rules as plain functions, without a database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from bot.domain import errors, rules
from bot.domain.types import Detail, InvitationStatus, PaymentMethod


@dataclass
class Item:
    serial_number: str | None = "012345678901"
    purchase_date: date | None = date(2022, 5, 1)
    country: str | None = "IT"
    dealer: str | None = "Ollo Store"


@dataclass
class Lv:
    code: str
    name: str
    min_points: int
    rank: int


LEVELS = [
    Lv("corporate", "Corporate", 2501, 4),
    Lv("silver", "Silver", 500, 1),
    Lv("gold", "Gold", 1000, 2),
    Lv("platinum", "Platinum", 2000, 3),
]
TERMS = rules.PaymentTerms(card_due_days=30, bank_transfer_due_days=14)


def test_tick_needs_all_four_details():
    assert rules.earns_points(Item())
    assert rules.missing_details(Item(serial_number=None, dealer="")) == [
        Detail.SERIAL_NUMBER,
        Detail.DEALER,
    ]
    assert not rules.earns_points(Item(country=None))


def test_only_ticked_lines_count():
    assert rules.total_points([(500, True), (250, False), (200, True)]) == 700


@pytest.mark.parametrize(
    ("points", "status", "due"),
    [
        (499, InvitationStatus.NONE, False),
        (500, InvitationStatus.NONE, True),
        (900, InvitationStatus.SENT, False),
        (900, InvitationStatus.ACCEPTED, False),
    ],
)
def test_invitation_due_once_at_the_threshold(points, status, due):
    assert rules.invitation_due(points, 500, status) is due


def test_levels_in_rank_order_with_points_needed():
    options = rules.level_options(LEVELS, 2500, only_available=False)
    assert [(o.code, o.points_needed) for o in options] == [
        ("silver", 0),
        ("gold", 0),
        ("platinum", 0),
        ("corporate", 1),
    ]
    assert [o.code for o in rules.level_options(LEVELS, 2501, only_available=True)] == [
        "silver",
        "gold",
        "platinum",
        "corporate",
    ]


def test_due_dates_differ_by_payment_method():
    issued = date(2026, 1, 31)
    assert rules.invoice_due_date(PaymentMethod.CARD, issued, TERMS) == date(2026, 3, 2)
    assert rules.invoice_due_date(PaymentMethod.BANK_TRANSFER, issued, TERMS) == date(2026, 2, 14)


@pytest.mark.parametrize("typed", ["0120 2100 1234", "012-021-001-234", " 012021001234 "])
def test_serial_separators_are_dropped(typed):
    assert rules.normalise_serial(typed, "EOS R5", r"^[0-9]{12}$", "012021001234", "x") == (
        "012021001234"
    )


@pytest.mark.parametrize("typed", ["01202100123", "0120210012345", "O12021001234", "", "🙂"])
def test_serial_of_the_wrong_shape_is_refused(typed):
    with pytest.raises(errors.InvalidSerialNumber):
        rules.normalise_serial(typed, "EOS R5", r"^[0-9]{12}$", "012021001234", "x")


def test_purchase_date_bounds():
    today = date(2026, 11, 25)
    assert rules.check_purchase_date(today, today) == today
    with pytest.raises(errors.InvalidPurchaseDate):
        rules.check_purchase_date(date(2026, 11, 26), today)
    with pytest.raises(errors.InvalidPurchaseDate):
        rules.check_purchase_date(date(1980, 1, 1), today)


def test_first_free_number_skips_taken_ones():
    taken = {"CPS-OLD-0042"}
    assert rules.first_free_number(iter(["CPS-OLD-0042", "CPS-1"]), taken.__contains__) == "CPS-1"
