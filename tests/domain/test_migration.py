"""R3 migration only when the old e-mail was given; R4 a clear typed refusal otherwise."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain import errors
from bot.domain.services import migration, products
from bot.domain.services.member_state import member_state
from bot.domain.services.products import Details
from tests.domain.builders import complete, new_member

OLD = "anna.old@oldmail.example"


def _old_account(uow) -> None:
    migration.import_legacy_account(
        uow,
        OLD,
        "CPS-OLD-0100",
        [
            (
                "eos-r5",
                Details(
                    serial_number="032021004512",
                    purchase_date=date(2021, 4, 12),
                    country="IT",
                    dealer="Foto Ottica Cavour",
                ),
            ),
            (
                "rf-70-200-f2-8l",
                Details(serial_number="5510019034", purchase_date=date(2022, 6, 3), country="IT"),
            ),
        ],
    )


def test_with_the_old_email_given_products_come_over_with_their_details(uow):
    _old_account(uow)
    email = new_member(uow, legacy=OLD)
    preview = migration.migration_preview(uow, email)
    assert [p.model for p in preview.products] == ["EOS R5", "RF 70-200mm F2.8L IS USM"]
    outcome = migration.migrate_products(uow, email)
    assert outcome.total_points == 500
    assert [(p.model, p.points_assigned) for p in outcome.migrated] == [
        ("EOS R5", True),
        ("RF 70-200mm F2.8L IS USM", False),
    ]
    assert outcome.invitation_issued
    state = member_state(uow, email)
    assert {p["source"] for p in state["products"]} == {"migrated"}
    assert state["products"][1]["missing"] == ["dealer"]
    assert state["legacy"] == {"email": OLD, "linked": True, "migrated": True}


def test_migration_happens_once(uow):
    _old_account(uow)
    email = new_member(uow, legacy=OLD)
    migration.migrate_products(uow, email)
    with pytest.raises(errors.AlreadyMigrated):
        migration.migrate_products(uow, email)
    assert len(member_state(uow, email)["products"]) == 2


def test_without_the_old_email_migration_is_not_offered(uow):
    _old_account(uow)
    email = new_member(uow)
    with pytest.raises(errors.MigrationNotOffered) as refused:
        migration.migration_preview(uow, email)
    assert refused.value.reason == "old_email_not_given"
    with pytest.raises(errors.MigrationNotOffered):
        migration.migrate_products(uow, email)
    assert member_state(uow, email)["products"] == []


def test_an_old_email_that_matches_no_old_account_is_explained(uow):
    email = new_member(uow, legacy="typo@oldmail.example")
    with pytest.raises(errors.MigrationNotOffered) as refused:
        migration.migrate_products(uow, email)
    assert refused.value.reason == "old_account_not_found"
    assert member_state(uow, email)["legacy"]["linked"] is False


def test_an_item_re_registered_by_hand_is_not_migrated_twice(uow):
    _old_account(uow)
    email = new_member(uow, legacy=OLD)
    products.register_product(uow, email, "eos-r5", complete(serial_number="032021004512"))
    outcome = migration.migrate_products(uow, email)
    assert [p.model for p in outcome.migrated] == ["RF 70-200mm F2.8L IS USM"]
    assert [p.model for p in outcome.skipped] == ["EOS R5"]
