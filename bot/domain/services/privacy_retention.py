"""Retention: what is kept longer than needed is deleted (`cps-bot privacy purge`, and
every hour in the running bot).

Older than `retention_days`: conversations idle that long (their state and transcript),
processed event ids, inbound events done or set aside, deliveries that landed, and the
transcript, context and chat key of escalations resolved that long ago, with their
deliveries, landed or not (the escalation itself stays: reason, status, times, rating,
its account). Sent mail older than `mail_retention_days`. Events (the report's figures)
stay, without their text and their chat's name (each chat gets a random one). Kept: the
audit log (a record of staff actions), what is still on its way (pending events, other
deliveries not landed, unsent mail), and the members' accounts (`member erase` removes one).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Text, cast, func, or_, select

from bot.domain.models import (
    Conversation,
    Delivery,
    Escalation,
    InboxEvent,
    OutboxEmail,
    ProcessedEvent,
)
from bot.domain.services import events
from bot.domain.services.privacy_chat import delete_rows
from bot.domain.types import EscalationStatus, InboxStatus
from bot.domain.unit_of_work import UnitOfWork


def purge(
    uow: UnitOfWork, now: datetime, retention_days: int, mail_retention_days: int
) -> dict[str, int]:
    """Deletes what is past retention at `now`; how many rows went (or were blanked), by table."""
    cutoff = now - timedelta(days=retention_days)
    mail_cutoff = now - timedelta(days=mail_retention_days)
    handled = [InboxStatus.DONE, InboxStatus.DEAD]
    with uow:
        escalations, of_escalations = _blank_old_escalations(uow, cutoff)
        landed = delete_rows(uow, Delivery, Delivery.delivered_at < cutoff)
        counts = {
            "conversations": delete_rows(uow, Conversation, Conversation.updated_at < cutoff),
            "processed_events": delete_rows(uow, ProcessedEvent, ProcessedEvent.at < cutoff),
            "inbox_events": delete_rows(
                uow, InboxEvent, InboxEvent.status.in_(handled), InboxEvent.received_at < cutoff
            ),
            "deliveries": landed + of_escalations,
            "escalations": escalations,
            "outbox_emails": delete_rows(uow, OutboxEmail, OutboxEmail.sent_at < mail_cutoff),
            "events": events.anonymise_before(uow, cutoff),
        }
        uow.commit()
        return counts


def purge_now(uow: UnitOfWork) -> dict[str, int]:
    """`purge` at the unit of work's clock, with its policy's retention settings."""
    policy = uow.policy
    return purge(uow, uow.clock.now(), policy.retention_days, policy.mail_retention_days)


def _blank_old_escalations(uow: UnitOfWork, cutoff: datetime) -> tuple[int, int]:
    """Escalations resolved before `cutoff` that still hold text or a chat key are blanked
    and their deliveries deleted, those that never landed too (a thread line to a card
    never posted): (escalations, deliveries)."""
    still_holding = or_(
        Escalation.conversation_key.is_not(None),
        _as_text(Escalation.transcript) != "[]",
        _as_text(Escalation.context).not_in(["null", "{}"]),
    )
    query = select(Escalation).where(
        Escalation.status == EscalationStatus.RESOLVED,
        Escalation.resolved_at < cutoff,
        still_holding,
    )
    escalations = list(uow.session.scalars(query))
    for escalation in escalations:
        escalation.transcript, escalation.context = [], None
        escalation.conversation_key = None
    ids = [e.id for e in escalations]
    return len(ids), delete_rows(uow, Delivery, Delivery.escalation_id.in_(ids)) if ids else 0


def _as_text(column: Any) -> Any:
    """A JSON column as its text; SQL NULL and JSON null both read "null"."""
    return func.coalesce(cast(column, Text), "null")
