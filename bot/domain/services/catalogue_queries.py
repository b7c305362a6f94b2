"""Read-only look-ups a dialogue needs: a product's serial format, an account's country."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class SerialFormat:
    """How a product's serial looks (a regex and a made-up example) and where it is printed."""

    product: str  # display name
    pattern: str
    example: str
    location: str  # body_base_plate | lens_barrel


def serial_format(uow: UnitOfWork, product: str) -> SerialFormat:
    """By product code or display name; raises UnknownProduct."""
    with uow:
        item = uow.repo.product(product)
        return SerialFormat(
            item.name, item.serial_pattern, item.serial_example, item.serial_location
        )


def account_country(uow: UnitOfWork, email: str) -> str:
    """The ISO alpha-2 country the business account was opened in."""
    with uow:
        return uow.repo.account(email).country
