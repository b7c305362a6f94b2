"""R2 registration, R5 ticks, R6 best guesses, R7 invitation at 500 points."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.domain import errors
from bot.domain.services import membership, points, products
from bot.domain.services.member_state import member_state
from bot.domain.services.products import Details
from bot.domain.types import DatePrecision, Detail, InvitationStatus
from tests.domain.builders import catalogue_item, complete, give_points, new_member, next_serial


def test_registered_product_appears_in_my_products_with_its_points(uow):
    email = new_member(uow)
    outcome = products.register_product(
        uow, email, "EOS R5", complete(serial_number="0320 2100 4512")
    )
    assert outcome.product.model == "EOS R5"
    assert outcome.product.points_assigned
    assert outcome.total_points == 500
    [item] = member_state(uow, email)["products"]
    assert item["serial_number"] == "032021004512"  # spaces typed by the member are dropped
    assert item["source"] == "registered"
    assert item["points_assigned"] is True


@pytest.mark.parametrize("missing", list(Detail))
def test_no_tick_and_no_points_while_one_detail_is_missing(uow, missing):
    email = new_member(uow)
    details = complete(**{missing.value: None})
    outcome = products.register_product(uow, email, "eos-r8", details)
    assert outcome.product.missing == (missing,)
    assert not outcome.product.points_assigned
    assert points.points_summary(uow, email).total == 0


def test_tick_appears_once_the_last_detail_is_completed(uow):
    email = new_member(uow)
    outcome = products.register_product(uow, email, "eos-r8", complete(dealer=None))
    registration_id = outcome.product.registration_id
    done = products.complete_details(uow, email, registration_id, Details(dealer="Wex Photo Video"))
    assert done.product.points_assigned
    assert done.total_points == 200


def test_best_guess_date_and_dealer_complete_the_details(uow):
    email = new_member(uow)
    outcome = products.register_product(
        uow, email, "eos-r8", Details(serial_number=next_serial(), country="IT")
    )
    guess = Details(
        purchase_date=date(2021, 4, 1),
        purchase_date_precision=DatePrecision.SEASON,
        purchase_date_guessed=True,
        dealer="a shop in Milan",
        dealer_guessed=True,
    )
    done = products.complete_details(uow, email, outcome.product.registration_id, guess)
    assert done.product.points_assigned
    [item] = member_state(uow, email)["products"]
    assert item["purchase_date_precision"] == "season"
    assert item["purchase_date_guessed"] is True
    assert item["dealer"] == "a shop in Milan"


def test_a_serial_number_cannot_be_guessed_and_says_where_to_look(uow):
    email = new_member(uow)
    outcome = products.register_product(uow, email, "rf-50-f1-2l", complete(serial_number=None))
    with pytest.raises(errors.SerialCannotBeGuessed) as refused:
        products.complete_details(
            uow,
            email,
            outcome.product.registration_id,
            Details(serial_number="1234567890", serial_guessed=True),
        )
    assert refused.value.location == "lens_barrel"


def test_a_wrong_serial_is_refused_with_an_example(uow):
    email = new_member(uow)
    with pytest.raises(errors.InvalidSerialNumber) as refused:
        products.register_product(uow, email, "eos-r5", complete(serial_number="ABC123"))
    assert len(refused.value.example) == 12
    assert refused.value.location == "body_base_plate"
    assert member_state(uow, email)["products"] == []  # nothing half-saved


def test_the_same_item_cannot_be_registered_twice(uow):
    email = new_member(uow)
    other = new_member(uow, "bruno@example.com")
    serial = next_serial()
    products.register_product(uow, email, "eos-r5", complete(serial_number=serial))
    with pytest.raises(errors.SerialAlreadyRegistered):
        products.register_product(uow, other, "eos-r5", complete(serial_number=serial))


def test_purchase_date_in_the_future_is_refused(uow, clock):
    email = new_member(uow)
    tomorrow = clock.now().date() + timedelta(days=1)
    with pytest.raises(errors.InvalidPurchaseDate) as refused:
        products.register_product(uow, email, "eos-r5", complete(purchase_date=tomorrow))
    assert refused.value.reason == "future"
    products.register_product(uow, email, "eos-r5", complete(purchase_date=clock.now().date()))


def test_country_is_stored_as_iso_alpha2_and_nonsense_is_refused(uow):
    email = new_member(uow)
    products.register_product(uow, email, "eos-r8", complete(country="gb"))
    assert member_state(uow, email)["products"][0]["country"] == "GB"
    with pytest.raises(errors.UnknownCountry):
        products.register_product(uow, email, "eos-r8", complete(country="XX"))


def test_unknown_product_is_refused(uow):
    email = new_member(uow)
    with pytest.raises(errors.UnknownProduct):
        products.register_product(uow, email, "EOS 9000X", complete())


def test_499_points_do_not_invite(uow):
    email = new_member(uow)
    give_points(uow, email, 499)
    summary = points.points_summary(uow, email)
    assert (summary.total, summary.points_to_invitation) == (499, 1)
    assert summary.invitation is InvitationStatus.NONE


def test_500_points_invite_once(uow):
    email = new_member(uow)
    give_points(uow, email, 499)
    outcome = products.register_product(uow, email, catalogue_item(uow, 1), complete())
    assert outcome.total_points == 500
    assert outcome.invitation_issued
    again = products.register_product(uow, email, "eos-r8", complete())
    assert not again.invitation_issued
    assert member_state(uow, email)["invitation"] == {"status": "sent"}


def test_staff_can_resend_an_invitation_and_it_is_audited(uow):
    email = new_member(uow)
    with pytest.raises(errors.NotInvited):
        membership.resend_invitation(uow, "staff:ada", email)
    give_points(uow, email, 500)
    assert membership.resend_invitation(uow, "staff:ada", email) == 2
