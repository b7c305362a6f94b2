"""The member's whole state in the shape of DESIGN.md's `member show --json` contract."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.domain import rules
from bot.domain.models import BusinessAccount, Registration
from bot.domain.services.points import account_points, invitation_status
from bot.domain.types import PasswordState
from bot.domain.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class MemberRow:
    email: str
    language: str
    country: str
    points: int
    invitation: str
    level: str | None


def member_state(uow: UnitOfWork, email: str) -> dict[str, Any]:
    with uow:
        return state_of(uow, uow.repo.account(email))


def state_of(uow: UnitOfWork, account: BusinessAccount) -> dict[str, Any]:
    """The `member show --json` document, inside the caller's open unit of work."""
    registrations = uow.repo.registrations(account)
    points = account_points(uow, account)
    levels = rules.level_options(uow.repo.levels(), points, only_available=True)
    return {
        "email": account.email,
        "language": account.language,
        "password_set": account.password_state is PasswordState.SET,
        "points": points,
        "invitation": {"status": invitation_status(uow, account).value},
        "products": [_product(r) for r in registrations],
        "legacy": _legacy(uow, account),
        "available_levels": [option.code for option in levels],
        "membership": _membership(uow, account),
        "escalations": [
            {"id": e.id, "status": e.status.value, "reason": e.reason}
            for e in uow.repo.escalations(account)
        ],
    }


def snapshot(uow: UnitOfWork, account: BusinessAccount) -> dict[str, Any]:
    """What staff need to see at a glance, taken inside the caller's open unit of work.

    Escalations keep it as it was when the member asked, so the card and the helpdesk
    ticket show the situation the member was in, not what it became later.
    """
    return {
        "account": {
            "email": account.email,
            "language": account.language,
            "country": account.country,
            "password_set": account.password_state is PasswordState.SET,
        },
        "products": [_product(r) for r in uow.repo.registrations(account)],
        "points": account_points(uow, account),
        "invitation": invitation_status(uow, account).value,
        "membership": _membership(uow, account),
        "legacy": _legacy(uow, account),
    }


def list_members(uow: UnitOfWork) -> list[MemberRow]:
    with uow:
        rows = []
        for account in uow.repo.accounts():
            membership = uow.repo.membership(account)
            rows.append(
                MemberRow(
                    email=account.email,
                    language=account.language,
                    country=account.country,
                    points=account_points(uow, account),
                    invitation=invitation_status(uow, account).value,
                    level=membership.level.code if membership else None,
                )
            )
        return rows


def _product(r: Registration) -> dict[str, Any]:
    return {
        "model": r.product.name,
        "serial_number": r.serial_number,
        "purchase_date": r.purchase_date.isoformat() if r.purchase_date else None,
        "purchase_date_precision": (
            r.purchase_date_precision.value if r.purchase_date_precision else None
        ),
        "purchase_date_guessed": r.purchase_date_guessed,
        "country": r.country,
        "dealer": r.dealer,
        "source": r.source.value,
        "points": r.points,
        "points_assigned": r.points_assigned,
        "missing": [d.value for d in rules.missing_details(r)],
    }


def _legacy(uow: UnitOfWork, account: BusinessAccount) -> dict[str, Any]:
    """`linked`: the old e-mail given at sign-up matches an old account, so R3 applies."""
    legacy = uow.repo.legacy_account(account.legacy_email) if account.legacy_email else None
    return {
        "email": account.legacy_email,
        "linked": legacy is not None,
        "migrated": legacy is not None and legacy.migrated_at is not None,
    }


def _membership(uow: UnitOfWork, account: BusinessAccount) -> dict[str, Any] | None:
    membership = uow.repo.membership(account)
    if membership is None:
        return None
    invoice = membership.invoices[-1] if membership.invoices else None
    return {
        "level": membership.level.code,
        "number": membership.number,
        "status": membership.status.value,
        "payment_method": membership.payment_method.value,
        "invoice": None
        if invoice is None
        else {
            "number": invoice.number,
            "due_date": invoice.due_date.isoformat(),
            "amount": float(invoice.amount),
        },
    }
