"""The claim SLA: escalations left open too long, and their one reminder.

`overdue_unclaimed` finds the open escalations past `handoff_claim_sla_minutes` that were
not reminded yet; `mark_reminded` records the reminder and, in the same transaction,
queues it for the staff channel and tells the member we are still on it. Locking the row
makes the reminder happen once, however many checkers run.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bot.domain.models import Escalation
from bot.domain.services.deliveries import enqueue, notify_member
from bot.domain.services.escalation_views import EscalationView, locked, to_view
from bot.domain.types import DeliveryTarget, EscalationStatus, MemberNotice
from bot.domain.unit_of_work import UnitOfWork


def overdue_unclaimed(uow: UnitOfWork, older_than: timedelta) -> list[EscalationView]:
    """Open past the claim SLA and not reminded yet, oldest first."""
    with uow:
        query = select(Escalation).where(
            Escalation.status == EscalationStatus.OPEN,
            Escalation.reminded_at.is_(None),
            Escalation.created_at <= uow.clock.now() - older_than,
        )
        query = query.options(selectinload(Escalation.account)).order_by(Escalation.id)
        return [to_view(row) for row in uow.session.scalars(query).all()]


def mark_reminded(uow: UnitOfWork, escalation_id: int) -> None:
    """Remind the staff channel and tell the member we are still on it, once per escalation."""
    with uow:
        escalation = locked(uow, escalation_id)
        if escalation.status is not EscalationStatus.OPEN or escalation.reminded_at is not None:
            return
        escalation.reminded_at = uow.clock.now()
        key = f"escalation-{escalation_id}-slack_reminder"
        enqueue(uow, DeliveryTarget.SLACK_REMINDER, key, escalation_id=escalation_id)
        notify_member(uow, escalation, MemberNotice.STILL_WAITING, "still_waiting")
        uow.commit()
