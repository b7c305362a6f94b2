"""R2 registering products, R5/R6 completing their details (best guesses included)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.domain import errors, rules
from bot.domain.models import BusinessAccount, Product, Registration
from bot.domain.services.points import (
    ProductLine,
    account_points,
    product_line,
    refresh_invitation,
    settle_points,
)
from bot.domain.types import DatePrecision, RegistrationSource
from bot.domain.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Details:
    """Values a member gave; None leaves a detail as it is. Guesses are flagged (R6)."""

    serial_number: str | None = None
    serial_guessed: bool = False
    purchase_date: date | None = None
    purchase_date_precision: DatePrecision = DatePrecision.DAY
    purchase_date_guessed: bool = False
    country: str | None = None
    country_guessed: bool = False
    dealer: str | None = None
    dealer_guessed: bool = False


@dataclass(frozen=True)
class RegistrationOutcome:
    product: ProductLine
    total_points: int
    invitation_issued: bool


def register_product(
    uow: UnitOfWork, email: str, product: str, details: Details | None = None
) -> RegistrationOutcome:
    """R2: add a product to My Products; it earns points once its details are complete."""
    with uow:
        account = uow.repo.account(email, for_update=True)
        item = uow.repo.product(product)
        registration = Registration(
            account_id=account.id,
            product_id=item.id,
            product=item,
            source=RegistrationSource.REGISTERED,
            points=item.points,
            created_at=uow.clock.now(),
        )
        _apply(uow, registration, item, details or Details())
        uow.add(registration)
        return _finish(uow, account, registration)


def complete_details(
    uow: UnitOfWork, email: str, registration_id: int, details: Details
) -> RegistrationOutcome:
    """R6: fill what is missing; a best guess completes a detail, a serial cannot be guessed."""
    with uow:
        account = uow.repo.account(email, for_update=True)
        registration = uow.repo.registration(account, registration_id)
        _apply(uow, registration, registration.product, details)
        return _finish(uow, account, registration)


def _apply(uow: UnitOfWork, registration: Registration, item: Product, details: Details) -> None:
    if details.serial_guessed:
        raise errors.SerialCannotBeGuessed(item.name, item.serial_location)
    if details.serial_number is not None:
        serial = rules.normalise_serial(
            details.serial_number,
            item.name,
            item.serial_pattern,
            item.serial_example,
            item.serial_location,
        )
        if serial != registration.serial_number and uow.repo.serial_registered(item, serial):
            raise errors.SerialAlreadyRegistered(serial, item.name)
        registration.serial_number = serial
    if details.purchase_date is not None:
        today = uow.clock.now().date()
        registration.purchase_date = rules.check_purchase_date(details.purchase_date, today)
        registration.purchase_date_precision = details.purchase_date_precision
        registration.purchase_date_guessed = details.purchase_date_guessed
    if details.country is not None:
        registration.country = rules.normalise_country(details.country)
        registration.country_guessed = details.country_guessed
    if details.dealer is not None and details.dealer.strip():
        registration.dealer = details.dealer.strip()[:120]
        registration.dealer_guessed = details.dealer_guessed
    settle_points(registration)


def _finish(
    uow: UnitOfWork, account: BusinessAccount, registration: Registration
) -> RegistrationOutcome:
    registration.updated_at = uow.clock.now()
    issued = refresh_invitation(uow, account)
    outcome = RegistrationOutcome(
        product=product_line(registration),
        total_points=account_points(uow, account),
        invitation_issued=issued,
    )
    uow.commit()
    return outcome
