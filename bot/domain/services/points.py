"""R5 ticks and totals, R7 invitations: the account's standing in the programme."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain import rules
from bot.domain.models import BusinessAccount, Invitation, Registration
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


def product_line(registration: Registration) -> ProductLine:
    return ProductLine(
        registration_id=registration.id,
        model=registration.product.name,
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


def points_summary(uow: UnitOfWork, email: str) -> PointsSummary:
    with uow:
        account = uow.repo.account(email)
        lines = tuple(product_line(r) for r in uow.repo.registrations(account))
        total = rules.total_points((line.points, line.points_assigned) for line in lines)
        threshold = uow.policy.invitation_points
        return PointsSummary(
            total=total,
            threshold=threshold,
            points_to_invitation=max(0, threshold - total),
            invitation=invitation_status(uow, account),
            products=lines,
        )
