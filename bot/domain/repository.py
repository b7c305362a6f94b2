"""Queries the services need, in one place; every lookup is by key, never a full scan."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from bot.domain import errors
from bot.domain.models import (
    BusinessAccount,
    Escalation,
    Invitation,
    LegacyAccount,
    Level,
    Membership,
    PasswordLinkToken,
    Product,
    Registration,
)

T = TypeVar("T")


def normalise_email(email: str) -> str:
    return email.strip().lower()


class Repository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def locked(self, query: Select[tuple[T]]) -> T | None:
        """The one row `query` finds, under SELECT ... FOR UPDATE (SQLite's writers queue
        anyway) and read fresh from the database rather than from the session; or None."""
        fresh = query.with_for_update().execution_options(populate_existing=True)
        return self._session.scalars(fresh).one_or_none()

    def find_account(self, email: str, *, for_update: bool = False) -> BusinessAccount | None:
        query = select(BusinessAccount).where(BusinessAccount.email == normalise_email(email))
        if for_update:
            query = query.with_for_update()
        return self._session.scalars(query).one_or_none()

    def account(self, email: str, *, for_update: bool = False) -> BusinessAccount:
        account = self.find_account(email, for_update=for_update)
        if account is None:
            raise errors.AccountNotFound(email)
        return account

    def account_by_id(self, account_id: int) -> BusinessAccount:
        found = self._session.get(BusinessAccount, account_id)
        if found is None:
            raise errors.AccountNotFound(f"#{account_id}")
        return found

    def accounts(self) -> Sequence[BusinessAccount]:
        return self._session.scalars(select(BusinessAccount).order_by(BusinessAccount.email)).all()

    def registrations(self, account: BusinessAccount) -> Sequence[Registration]:
        query = (
            select(Registration)
            .where(Registration.account_id == account.id)
            .options(selectinload(Registration.product))
            .order_by(Registration.id)
        )
        return self._session.scalars(query).all()

    def registration(self, account: BusinessAccount, registration_id: int) -> Registration:
        found = self._session.get(Registration, registration_id)
        if found is None or found.account_id != account.id:
            raise errors.RegistrationNotFound(registration_id)
        return found

    def serial_registered(self, product: Product, serial: str) -> bool:
        query = select(Registration.id).where(
            Registration.product_id == product.id, Registration.serial_number == serial
        )
        return self._session.scalars(query).first() is not None

    def product(self, code_or_name: str) -> Product:
        key = code_or_name.strip().lower()
        query = select(Product).where((Product.code == key) | (func.lower(Product.name) == key))
        found = self._session.scalars(query).one_or_none()
        if found is None:
            raise errors.UnknownProduct(code_or_name)
        return found

    def products(self) -> Sequence[Product]:
        return self._session.scalars(select(Product).order_by(Product.name)).all()

    def levels(self) -> Sequence[Level]:
        return self._session.scalars(select(Level).order_by(Level.rank)).all()

    def level(self, code: str) -> Level:
        found = self._session.scalars(
            select(Level).where(Level.code == code.strip().lower())
        ).one_or_none()
        if found is None:
            raise errors.UnknownLevel(code)
        return found

    def legacy_account(self, email: str) -> LegacyAccount | None:
        query = select(LegacyAccount).where(LegacyAccount.email == normalise_email(email))
        return self._session.scalars(query).one_or_none()

    def invitation(self, account: BusinessAccount) -> Invitation | None:
        query = select(Invitation).where(Invitation.account_id == account.id)
        return self._session.scalars(query).one_or_none()

    def membership(self, account: BusinessAccount) -> Membership | None:
        query = select(Membership).where(Membership.account_id == account.id)
        return self._session.scalars(query).one_or_none()

    def membership_number_taken(self, number: str) -> bool:
        """R13: taken by a current membership or by any old CPS account."""
        current = select(Membership.id).where(Membership.number == number)
        old = select(LegacyAccount.id).where(LegacyAccount.old_member_number == number)
        return (
            self._session.scalars(current).first() is not None
            or self._session.scalars(old).first() is not None
        )

    def password_token(
        self, token_hash: str, *, for_update: bool = False
    ) -> PasswordLinkToken | None:
        query = select(PasswordLinkToken).where(PasswordLinkToken.token_hash == token_hash)
        if for_update:
            query = query.with_for_update()
        return self._session.scalars(query).one_or_none()

    def live_password_tokens(self, account: BusinessAccount) -> Sequence[PasswordLinkToken]:
        query = select(PasswordLinkToken).where(
            PasswordLinkToken.account_id == account.id,
            PasswordLinkToken.used_at.is_(None),
            PasswordLinkToken.revoked_at.is_(None),
        )
        return self._session.scalars(query).all()

    def escalations(self, account: BusinessAccount) -> Sequence[Escalation]:
        query = select(Escalation).where(Escalation.account_id == account.id)
        return self._session.scalars(query.order_by(Escalation.id)).all()
