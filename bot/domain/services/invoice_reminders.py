"""R10/R11 for a bank transfer: a few days before the invoice is due, the member's chats
are told once (the amount, the due date), however many workers look."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.domain.models import BusinessAccount, Invoice, Membership
from bot.domain.services.deliveries import notify_account_chats
from bot.domain.types import MemberNotice, PaymentMethod
from bot.domain.unit_of_work import UnitOfWork

REMIND_DAYS_BEFORE = 3


def remind_invoices_due(uow: UnitOfWork, days_before: int = REMIND_DAYS_BEFORE) -> list[str]:
    """Bank-transfer invoices due within `days_before` days and not reminded yet: each
    marked and told to every chat of its member, in one transaction; their numbers."""
    with uow:
        today = uow.clock.now().date()
        query = (
            select(Invoice, BusinessAccount)
            .join(Membership, Invoice.membership_id == Membership.id)
            .join(BusinessAccount, Membership.account_id == BusinessAccount.id)
            .where(
                Membership.payment_method == PaymentMethod.BANK_TRANSFER,
                Invoice.reminded_at.is_(None),
                Invoice.due_date >= today,
                Invoice.due_date <= today + timedelta(days=days_before),
            )
            .order_by(Invoice.id)
            .with_for_update(of=Invoice, skip_locked=True)
        )
        told = []
        for invoice, account in uow.session.execute(query).all():
            invoice.reminded_at = uow.clock.now()
            notify_account_chats(
                uow, account.id, account.language, MemberNotice.INVOICE_DUE,
                f"invoice-{invoice.id}", invoice=invoice.number, amount=str(invoice.amount),
                currency=invoice.currency, due_date=invoice.due_date.isoformat(),
            )  # fmt: skip
            told.append(invoice.number)
        uow.commit()
        return told
