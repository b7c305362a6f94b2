"""R8 levels by points, R9-R13 enrolment, and two enrolments racing."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from bot.domain import errors
from bot.domain.models import Membership
from bot.domain.services import membership
from bot.domain.services.member_state import member_state
from bot.domain.services.migration import import_legacy_account
from bot.domain.types import PaymentMethod
from bot.domain.unit_of_work import UnitOfWork
from tests.domain.builders import FEES, give_points, new_member
from tests.support import ScriptedNumbers

CARD, TRANSFER = PaymentMethod.CARD, PaymentMethod.BANK_TRANSFER


def _unlocked(uow, email) -> list[str]:
    return [o.code for o in membership.level_choices(uow, email).options]


@pytest.mark.parametrize(
    ("points", "levels"),
    [
        (499, []),
        (500, ["silver"]),
        (999, ["silver"]),
        (1000, ["silver", "gold"]),
        (1999, ["silver", "gold"]),
        (2000, ["silver", "gold", "platinum"]),
        (2500, ["silver", "gold", "platinum"]),
        (2501, ["silver", "gold", "platinum", "corporate"]),
    ],
)
def test_levels_unlock_at_their_thresholds(uow, points, levels):
    email = new_member(uow)
    give_points(uow, email, points)
    assert _unlocked(uow, email) == levels
    assert member_state(uow, email)["available_levels"] == levels


def test_switch_off_shows_every_level_with_the_points_still_needed(uow):
    email = new_member(uow)
    give_points(uow, email, 1200)
    choices = membership.level_choices(uow, email, only_available=False)
    assert [(o.code, o.unlocked, o.points_needed) for o in choices.options] == [
        ("silver", True, 0),
        ("gold", True, 0),
        ("platinum", False, 800),
        ("corporate", False, 1301),
    ]


def test_a_locked_level_is_refused_with_the_points_missing(uow):
    email = new_member(uow)
    give_points(uow, email, 1999)
    with pytest.raises(errors.LevelLocked) as refused:
        membership.enrol(uow, email, "platinum", CARD)
    assert refused.value.points_missing == 1
    assert member_state(uow, email)["membership"] is None


def test_enrolment_needs_the_invitation(uow):
    email = new_member(uow)
    give_points(uow, email, 400)
    with pytest.raises(errors.NotInvited) as refused:
        membership.enrol(uow, email, "silver", CARD)
    assert refused.value.points_needed == 100


def test_card_membership_is_active_at_once_and_charged_on_the_due_date_30_days_on(uow):
    email = new_member(uow)
    give_points(uow, email, 1000)
    done = membership.enrol(uow, email, "gold", CARD)
    assert done.status.value == "active"
    assert done.due_date == date(2026, 12, 25)
    assert done.amount == FEES["gold"]
    state = member_state(uow, email)
    assert state["membership"]["status"] == "active"
    assert state["membership"]["payment_method"] == "card"
    assert state["membership"]["invoice"]["due_date"] == "2026-12-25"
    assert state["invitation"]["status"] == "accepted"


def test_bank_transfer_is_due_by_the_invoice_due_date_14_days_on(uow):
    email = new_member(uow)
    give_points(uow, email, 500)
    done = membership.enrol(uow, email, "silver", TRANSFER)
    assert done.due_date == date(2026, 12, 9)
    assert member_state(uow, email)["membership"]["invoice"] == {
        "number": done.invoice_number,
        "due_date": "2026-12-09",
        "amount": 50.0,
    }


def test_the_new_number_is_never_an_old_one(engine, clock, policy):
    numbers = ScriptedNumbers("CPS-OLD-0042", "CPS-2026-000001")
    uow = UnitOfWork(sessionmaker(engine, expire_on_commit=False), policy, clock, numbers)
    import_legacy_account(uow, "lukas.old@oldmail.example", "CPS-OLD-0042", [])
    email = new_member(uow, legacy="lukas.old@oldmail.example")
    give_points(uow, email, 2600)
    done = membership.enrol(uow, email, "corporate", CARD)
    assert done.number == "CPS-2026-000001"


def test_the_new_number_is_never_a_current_members_number(engine, clock, policy):
    numbers = ScriptedNumbers("CPS-2026-000001", "CPS-2026-000001", "CPS-2026-000002")
    uow = UnitOfWork(sessionmaker(engine, expire_on_commit=False), policy, clock, numbers)
    first, second = new_member(uow, "a@example.com"), new_member(uow, "b@example.com")
    for email in (first, second):
        give_points(uow, email, 500)
    assert membership.enrol(uow, first, "silver", CARD).number == "CPS-2026-000001"
    assert membership.enrol(uow, second, "silver", CARD).number == "CPS-2026-000002"


def test_a_member_enrols_once(uow):
    email = new_member(uow)
    give_points(uow, email, 500)
    first = membership.enrol(uow, email, "silver", CARD)
    with pytest.raises(errors.AlreadyMember) as refused:
        membership.enrol(uow, email, "silver", TRANSFER)
    assert refused.value.number == first.number


def test_two_concurrent_enrolments_end_in_exactly_one_membership(engine, clock, policy):
    sessions = sessionmaker(engine, expire_on_commit=False)
    uow = UnitOfWork(sessions, policy, clock)
    email = new_member(uow)
    give_points(uow, email, 2000)
    start = threading.Barrier(2)
    results: list[object] = []

    def enrol(level: str, method: PaymentMethod) -> None:
        start.wait()
        try:
            results.append(
                membership.enrol(UnitOfWork(sessions, policy, clock), email, level, method)
            )
        except errors.AlreadyMember as exc:
            results.append(exc)

    threads = [
        threading.Thread(target=enrol, args=("gold", CARD)),
        threading.Thread(target=enrol, args=("platinum", TRANSFER)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(type(r).__name__ for r in results) == ["AlreadyMember", "Enrolment"]
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Membership)) == 1
