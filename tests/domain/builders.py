"""Builders that put a member into a known state through the real services."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select

from bot.domain.models import BusinessAccount, Conversation, OutboxEmail
from bot.domain.services import accounts, products
from bot.domain.services.products import Details
from bot.domain.services.reference_data import ProductSpec, sync_reference_data
from bot.domain.unit_of_work import UnitOfWork

COMPLETE = Details(purchase_date=date(2024, 3, 14), country="IT", dealer="Foto Ottica Cavour")
_serials = iter(range(100000000000, 999999999999))


def new_member(uow: UnitOfWork, email: str = "anna@example.com", legacy: str | None = None) -> str:
    accounts.create_business_account(uow, email, "it", "IT", legacy_email=legacy)
    return email


def next_serial() -> str:
    return str(next(_serials))


def complete(**changes: object) -> Details:
    values = {**vars(COMPLETE), "serial_number": next_serial(), **changes}
    return Details(**values)  # type: ignore[arg-type]


def catalogue_item(uow: UnitOfWork, points: int) -> str:
    """A catalogue item worth exactly `points`, to reach any boundary precisely."""
    code = f"test-item-{points}"
    spec = ProductSpec(
        code,
        f"Test item {points}",
        "eos_r_body",
        "body",
        points,
        "^[0-9]{12}$",
        "012345678901",
        "body_base_plate",
    )
    sync_reference_data(uow, [spec], [], [])
    return code


def give_points(uow: UnitOfWork, email: str, points: int) -> None:
    """Register one complete test product worth `points`."""
    products.register_product(uow, email, catalogue_item(uow, points), complete())


FEES = {
    "silver": Decimal("50.00"),
    "gold": Decimal("100.00"),
    "platinum": Decimal("200.00"),
    "corporate": Decimal("400.00"),
}


def outbox_rows(uow: UnitOfWork) -> list[OutboxEmail]:
    """Every mail of the outbox, oldest first."""
    with uow:
        return list(uow.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id)))


def linked_chat(uow: UnitOfWork, email: str, key: str, language: str | None) -> None:
    """A chat (`key`) linked to the account of `email`, as a member's linking leaves it."""
    with uow:
        account = uow.session.scalars(
            select(BusinessAccount).where(BusinessAccount.email == email)
        ).one()
        uow.add(Conversation(key=key, account_id=account.id, language=language, state={}))
        uow.commit()
