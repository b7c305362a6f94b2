"""Read-only questions about escalations: one by id or by its Slack card, a chat's, the queue.

Each answers with frozen `EscalationView`s and changes nothing: the Slack side finds the
escalation a button or thread reply belongs to, the dialogue asks whether a chat is live
with staff (or owes a rating), and the App Home and `/cps queue` list what staff still
have to do.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bot.domain import errors
from bot.domain.models import Escalation
from bot.domain.services.escalation_views import EscalationView, to_view
from bot.domain.types import EscalationStatus
from bot.domain.unit_of_work import UnitOfWork


def get(uow: UnitOfWork, escalation_id: int) -> EscalationView:
    with uow:
        found = uow.session.get(Escalation, escalation_id)
        if found is None:
            raise errors.EscalationNotFound(escalation_id)
        return to_view(found)


def find_by_card(uow: UnitOfWork, channel: str, ts: str) -> EscalationView | None:
    """The escalation whose Slack card (or its thread) an event came from."""
    with uow:
        query = select(Escalation).where(Escalation.card_channel == channel)
        found = uow.session.scalars(query.where(Escalation.card_ts == ts)).one_or_none()
        return to_view(found) if found else None


def for_conversation(uow: UnitOfWork, conversation_key: str) -> EscalationView | None:
    """The chat's newest escalation while it matters to the chat: live, or awaiting a rating."""
    with uow:
        query = select(Escalation).where(Escalation.conversation_key == conversation_key)
        newest = uow.session.scalars(query.order_by(Escalation.id.desc()).limit(1)).first()
        if newest is None:
            return None
        awaiting_rating = (
            newest.resolved_at is not None and newest.rating is None and not newest.rating_declined
        )
        live = newest.status is not EscalationStatus.RESOLVED
        return to_view(newest) if live or awaiting_rating else None


def queue(uow: UnitOfWork) -> list[EscalationView]:
    """Open and claimed escalations, oldest first: what staff still have to do."""
    with uow:
        waiting = [EscalationStatus.OPEN, EscalationStatus.CLAIMED]
        query = select(Escalation).where(Escalation.status.in_(waiting))
        query = query.options(selectinload(Escalation.account))
        rows = uow.session.scalars(query.order_by(Escalation.created_at, Escalation.id)).all()
        return [to_view(row) for row in rows]
