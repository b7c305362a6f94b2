"""R5 ticks and totals, R7 invitations: the account's standing in the programme."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select

from bot.domain import errors, rules
from bot.domain.models import BusinessAccount, Invitation, Product, Registration
from bot.domain.repository import normalise_email
from bot.domain.types import Detail, InvitationStatus
from bot.domain.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class ProductLine:
    registration_id: int
    model: str
    points: int
    points_assigned: bool
    missing: tuple[Detail, ...]


@dataclass(frozen=True)
class PointsSummary:
    total: int
    threshold: int
    points_to_invitation: int
    invitation: InvitationStatus
    products: tuple[ProductLine, ...]


def product_line(registration: Any, model: str | None = None) -> ProductLine:
    """A registration (an ORM row, or a Core row with its product's `model` given)."""
    return ProductLine(
        registration_id=registration.id,
        model=model if model is not None else registration.product.name,
        points=registration.points,
        points_assigned=registration.points_assigned,
        missing=tuple(rules.missing_details(registration)),
    )


def account_points(uow: UnitOfWork, account: BusinessAccount) -> int:
    lines = uow.repo.registrations(account)
    return rules.total_points((r.points, r.points_assigned) for r in lines)


def invitation_status(uow: UnitOfWork, account: BusinessAccount) -> InvitationStatus:
    invitation = uow.repo.invitation(account)
    return InvitationStatus.NONE if invitation is None else invitation.status


def settle_points(registration: Registration) -> None:
    """R5: a registration earns its points exactly when its four details are there."""
    registration.points_assigned = rules.earns_points(registration)


def refresh_invitation(uow: UnitOfWork, account: BusinessAccount) -> bool:
    """R7: issue the invitation the first time the account reaches the threshold."""
    uow.flush()
    points = account_points(uow, account)
    threshold = uow.policy.invitation_points
    if not rules.invitation_due(points, threshold, invitation_status(uow, account)):
        return False
    now = uow.clock.now()
    uow.add(
        Invitation(
            account_id=account.id,
            status=InvitationStatus.SENT,
            points_at_issue=points,
            issued_at=now,
            times_sent=1,
            last_sent_at=now,
        )
    )
    uow.send_mail("invitation", account.email, account.language, points=points)
    return True


_ACCOUNTS, _INVITATIONS = BusinessAccount.__table__, Invitation.__table__
_REGISTRATIONS, _PRODUCTS = Registration.__table__, Product.__table__
# Asked on many turns ("how many points do I have?"): one prebuilt Core statement for the
# account, its invitation and its registrations with their products.
_SUMMARY = (
    select(
        _ACCOUNTS.c.id.label("account_id"),
        _INVITATIONS.c.status.label("invitation"),
        _REGISTRATIONS.c.id,
        _PRODUCTS.c.name,
        _REGISTRATIONS.c.points,
        _REGISTRATIONS.c.points_assigned,
        _REGISTRATIONS.c.serial_number,
        _REGISTRATIONS.c.purchase_date,
        _REGISTRATIONS.c.country,
        _REGISTRATIONS.c.dealer,
    )
    .select_from(
        _ACCOUNTS.outerjoin(_INVITATIONS, _INVITATIONS.c.account_id == _ACCOUNTS.c.id)
        .outerjoin(_REGISTRATIONS, _REGISTRATIONS.c.account_id == _ACCOUNTS.c.id)
        .outerjoin(_PRODUCTS, _PRODUCTS.c.id == _REGISTRATIONS.c.product_id)
    )
    .where(_ACCOUNTS.c.email == bindparam("email"))
    .order_by(_REGISTRATIONS.c.id)
)


def points_summary(uow: UnitOfWork, email: str) -> PointsSummary:
    with uow.core_connection(write=False) as connection:
        rows = connection.execute(_SUMMARY, {"email": normalise_email(email)}).all()
    if not rows:
        raise errors.AccountNotFound(email)
    lines = tuple(product_line(row, model=row.name) for row in rows if row.id is not None)
    total = rules.total_points((line.points, line.points_assigned) for line in lines)
    threshold = uow.policy.invitation_points
    return PointsSummary(
        total=total,
        threshold=threshold,
        points_to_invitation=max(0, threshold - total),
        invitation=InvitationStatus(rows[0].invitation or InvitationStatus.NONE),
        products=lines,
    )
