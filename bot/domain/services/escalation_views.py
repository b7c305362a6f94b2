"""What the handoff use cases share: the escalation as callers see it, and small helpers.

Callers (Slack handlers, flows, the helpdesk worker) get frozen views, never ORM rows,
so nothing they hold can reach the database after the unit of work has closed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from bot.domain import errors
from bot.domain.models import Escalation
from bot.domain.services.audit import record_staff_action
from bot.domain.services.deliveries import enqueue
from bot.domain.types import DeliveryTarget
from bot.domain.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class EscalationView:
    id: int
    status: str  # "open" | "claimed" | "resolved"
    reason: str
    email: str | None
    conversation_key: str | None
    language: str | None
    created_at: datetime
    claimed_by: str | None  # Slack user id
    claimed_by_name: str | None
    claimed_at: datetime | None
    resolved_at: datetime | None
    resolved_by: str | None
    rating: int | None
    card_channel: str | None
    card_ts: str | None
    reminded_at: datetime | None
    helpdesk_ticket: str | None
    helpdesk_status: str | None
    context: dict[str, Any]  # the member's state when it was opened; {} for an unknown member
    transcript: list[dict[str, Any]]  # [{"who": "member"|"bot"|"staff", "text": ...}, ...]


def to_view(row: Escalation) -> EscalationView:
    return EscalationView(
        id=row.id,
        status=row.status.value,
        reason=row.reason,
        email=row.account.email if row.account is not None else None,
        conversation_key=row.conversation_key,
        language=row.language,
        created_at=row.created_at,
        claimed_by=row.claimed_by,
        claimed_by_name=row.claimed_by_name,
        claimed_at=row.claimed_at,
        resolved_at=row.resolved_at,
        resolved_by=row.resolved_by,
        rating=row.rating,
        card_channel=row.card_channel,
        card_ts=row.card_ts,
        reminded_at=row.reminded_at,
        helpdesk_ticket=row.helpdesk_ticket,
        helpdesk_status=row.helpdesk_status,
        context=dict(row.context or {}),
        transcript=[dict(line) for line in row.transcript],
    )


def helpdesk_document(view: EscalationView) -> dict[str, Any]:
    """The JSON POSTed to priority support's helpdesk: plain JSON types only."""
    return {
        "escalation_id": view.id,
        "idempotency_key": f"escalation-{view.id}-helpdesk",
        "reason": view.reason,
        "status": view.status,
        "created_at": view.created_at.isoformat(),
        "member": {
            "email": view.email,
            "language": view.language,
            "conversation": view.conversation_key,
        },
        "context": view.context,
        "transcript": view.transcript,
    }


def locked(uow: UnitOfWork, escalation_id: int) -> Escalation:
    """The escalation, locked and read fresh (`Repository.locked`)."""
    found = uow.repo.locked(select(Escalation).where(Escalation.id == escalation_id))
    if found is None:
        raise errors.EscalationNotFound(escalation_id)
    return found


def first_name(name: str) -> str:
    """Staff sign their messages to members with their first name only."""
    parts = name.split()
    return parts[0] if parts else ""


def refresh_card(uow: UnitOfWork, escalation_id: int, why: str) -> None:
    """Queue a redraw of the card; the worker reads the escalation as it is when it sends."""
    enqueue(
        uow,
        DeliveryTarget.SLACK_CARD_UPDATE,
        f"escalation-{escalation_id}-slack_card_update-{why}",
        escalation_id=escalation_id,
    )


def audit(uow: UnitOfWork, actor: str, action: str, escalation: Escalation, **details: Any) -> None:
    """A staff (or helpdesk) action on an escalation, in the action's own transaction."""
    member = escalation.account.email if escalation.account else escalation.conversation_key
    target = f"escalation:{escalation.id}"
    record_staff_action(uow, actor, action, target, {"member": member, **details})
