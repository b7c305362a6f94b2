"""R3/R4: products come over from an old CPS account only if its e-mail was given."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain import errors, rules
from bot.domain.models import BusinessAccount, LegacyAccount, LegacyRegistration, Registration
from bot.domain.repository import normalise_email
from bot.domain.services.points import (
    ProductLine,
    account_points,
    product_line,
    refresh_invitation,
    settle_points,
)
from bot.domain.services.products import Details
from bot.domain.types import Detail, RegistrationSource
from bot.domain.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class LegacyLine:
    model: str
    serial_number: str | None
    missing: tuple[Detail, ...]


@dataclass(frozen=True)
class MigrationPreview:
    legacy_email: str
    products: tuple[LegacyLine, ...]


@dataclass(frozen=True)
class MigrationOutcome:
    migrated: tuple[ProductLine, ...]
    skipped: tuple[LegacyLine, ...]  # already registered on the new account
    total_points: int
    invitation_issued: bool


def migration_preview(uow: UnitOfWork, email: str) -> MigrationPreview:
    """What would come over; refuses with the R4 reason when migration is not offered."""
    with uow:
        account = uow.repo.account(email)
        legacy = _migratable(uow, account)
        lines = tuple(_legacy_line(r) for r in legacy.registrations)
        return MigrationPreview(legacy.email, lines)


def migrate_products(uow: UnitOfWork, email: str) -> MigrationOutcome:
    """R3: copy the old registrations, details and all; incomplete ones earn no tick (R5)."""
    with uow:
        account = uow.repo.account(email, for_update=True)
        outcome = migrate_into(uow, account, _migratable(uow, account))
        uow.commit()
        return outcome


def migrate_into(
    uow: UnitOfWork, account: BusinessAccount, legacy: LegacyAccount
) -> MigrationOutcome:
    """R3 inside the caller's unit of work (the member's own request, or staff's override):
    an item already registered by hand is not copied twice."""
    migrated, skipped = [], []
    for old in legacy.registrations:
        if old.serial_number and uow.repo.serial_registered(old.product, old.serial_number):
            skipped.append(_legacy_line(old))
            continue
        registration = _copy(old, account)
        settle_points(registration)
        uow.add(registration)
        old.migrated = True
        migrated.append(registration)
    legacy.migrated_to_id = account.id
    legacy.migrated_at = uow.clock.now()
    issued = refresh_invitation(uow, account)
    return MigrationOutcome(
        migrated=tuple(product_line(r) for r in migrated),
        skipped=tuple(skipped),
        total_points=account_points(uow, account),
        invitation_issued=issued,
    )


def import_legacy_account(
    uow: UnitOfWork,
    email: str,
    old_member_number: str | None,
    registrations: list[tuple[str, Details]],
) -> bool:
    """Bring an account of the old programme over as it was; False if it is there already."""
    with uow:
        if uow.repo.legacy_account(email) is not None:
            return False
        legacy = LegacyAccount(email=normalise_email(email), old_member_number=old_member_number)
        for product_code, details in registrations:
            product = uow.repo.product(product_code)
            legacy.registrations.append(
                LegacyRegistration(
                    product_id=product.id,
                    product=product,
                    serial_number=details.serial_number,
                    purchase_date=details.purchase_date,
                    purchase_date_precision=(
                        details.purchase_date_precision if details.purchase_date else None
                    ),
                    country=rules.normalise_country(details.country) if details.country else None,
                    dealer=details.dealer,
                )
            )
        uow.add(legacy)
        uow.commit()
        return True


def _migratable(uow: UnitOfWork, account: BusinessAccount) -> LegacyAccount:
    if not account.legacy_email:
        raise errors.MigrationNotOffered("old_email_not_given")
    legacy = uow.repo.legacy_account(account.legacy_email)
    if legacy is None:
        raise errors.MigrationNotOffered("old_account_not_found")
    if legacy.migrated_at is not None:
        raise errors.AlreadyMigrated(legacy.email)
    return legacy


def _legacy_line(old: LegacyRegistration) -> LegacyLine:
    return LegacyLine(old.product.name, old.serial_number, tuple(rules.missing_details(old)))


def _copy(old: LegacyRegistration, account: BusinessAccount) -> Registration:
    return Registration(
        account_id=account.id,
        product_id=old.product_id,
        product=old.product,
        serial_number=old.serial_number,
        purchase_date=old.purchase_date,
        purchase_date_precision=old.purchase_date_precision,
        country=old.country,
        dealer=old.dealer,
        source=RegistrationSource.MIGRATED,
        points=old.product.points,
    )
