"""R8 levels by points, R9-R13 enrolment: level + payment method -> active membership."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy.exc import IntegrityError

from bot.domain import errors, rules
from bot.domain.models import Invoice, Membership
from bot.domain.services.audit import record_staff_action
from bot.domain.services.points import account_points
from bot.domain.types import InvitationStatus, MembershipStatus, PaymentMethod
from bot.domain.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class LevelChoices:
    points: int
    only_available: bool
    options: tuple[rules.LevelOption, ...]


@dataclass(frozen=True)
class Enrolment:
    level: str
    number: str
    status: MembershipStatus
    payment_method: PaymentMethod
    invoice_number: str
    amount: Decimal
    currency: str
    due_date: date


def level_choices(uow: UnitOfWork, email: str, *, only_available: bool = True) -> LevelChoices:
    """R8: the "available levels" switch: ON shows unlocked levels, OFF all with what is missing."""
    with uow:
        account = uow.repo.account(email)
        points = account_points(uow, account)
        options = rules.level_options(uow.repo.levels(), points, only_available=only_available)
        return LevelChoices(points, only_available, tuple(options))


def enrol(uow: UnitOfWork, email: str, level: str, payment_method: PaymentMethod) -> Enrolment:
    """R12: usable at once; R13: always a new number; R10/R11: the invoice's due date."""
    with uow:
        account = uow.repo.account(email, for_update=True)
        existing = uow.repo.membership(account)
        if existing is not None:
            raise errors.AlreadyMember(existing.number)
        points = account_points(uow, account)
        invitation = uow.repo.invitation(account)
        if invitation is None:
            raise _not_invited(uow, points)
        chosen = uow.repo.level(level)
        if points < chosen.min_points:
            raise errors.LevelLocked(chosen.code, points, chosen.min_points - points)
        now = uow.clock.now()
        membership = Membership(
            account_id=account.id,
            level_id=chosen.id,
            level=chosen,
            payment_method=PaymentMethod(payment_method),
            number=rules.first_free_number(
                uow.numbers.proposals(), uow.repo.membership_number_taken
            ),
            status=MembershipStatus.ACTIVE,
            started_at=now,
        )
        uow.add(membership)
        _flush_or_already_member(uow)
        invoice = Invoice(
            membership_id=membership.id,
            number=f"INV-{now.year}-{membership.id:06d}",
            amount=chosen.annual_fee,
            currency=uow.policy.invoice_currency,
            issued_at=now,
            due_date=rules.invoice_due_date(
                membership.payment_method, now.date(), uow.policy.payment_terms
            ),
        )
        uow.add(invoice)
        invitation.status = InvitationStatus.ACCEPTED
        uow.send_mail(
            "invoice",
            account.email,
            account.language,
            invoice=invoice.number,
            amount=str(invoice.amount),
            currency=invoice.currency,
            due_date=invoice.due_date.isoformat(),
            payment_method=membership.payment_method.value,
        )
        uow.commit()
        return Enrolment(
            level=chosen.code,
            number=membership.number,
            status=membership.status,
            payment_method=membership.payment_method,
            invoice_number=invoice.number,
            amount=invoice.amount,
            currency=invoice.currency,
            due_date=invoice.due_date,
        )


def resend_invitation(uow: UnitOfWork, actor: str, email: str) -> int:
    """R7: staff may re-send an invitation already issued; returns how often it was sent."""
    with uow:
        account = uow.repo.account(email, for_update=True)
        invitation = uow.repo.invitation(account)
        if invitation is None:
            raise _not_invited(uow, account_points(uow, account))
        invitation.times_sent += 1
        invitation.last_sent_at = uow.clock.now()
        uow.send_mail(
            "invitation", account.email, account.language, points=invitation.points_at_issue
        )
        record_staff_action(
            uow, actor, "resend_invitation", account.email, {"times_sent": invitation.times_sent}
        )
        uow.commit()
        return invitation.times_sent


def _not_invited(uow: UnitOfWork, points: int) -> errors.NotInvited:
    return errors.NotInvited(points, max(0, uow.policy.invitation_points - points))


def _flush_or_already_member(uow: UnitOfWork) -> None:
    """The unique account_id is the last guard when two enrolments race."""
    try:
        uow.flush()
    except IntegrityError as exc:
        raise errors.AlreadyMember("(being created)") from exc
