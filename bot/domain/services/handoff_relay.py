"""The live part of a handoff: messages both ways, the card's address, helpdesk updates.

Incoming event ids (a Slack message's ts, a helpdesk event id) are taken once in the
processed-events table: its unique constraint lets exactly one of two workers take one,
so Slack retries and helpdesk redeliveries are never processed twice.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.domain.models import ProcessedEvent
from bot.domain.services.deliveries import enqueue, notify_member
from bot.domain.services.escalation_views import (
    audit,
    first_name,
    locked,
    refresh_card,
)
from bot.domain.types import DeliveryTarget, EscalationStatus, MemberNotice
from bot.domain.unit_of_work import UnitOfWork
from bot.privacy.masking import redact, without_secrets

SLACK_EVENTS, HELPDESK_EVENTS = "slack", "helpdesk"  # processed_events.conversation_key
TEXT_LENGTH = 4000  # a chat message; longer ones are cut, never refused
NOTE_PREFIX = "note:"


def relay_to_staff(uow: UnitOfWork, escalation_id: int, text: str) -> None:
    """A member's message goes to the card's thread (live: contacts kept, the person may
    need them) and into the transcript (kept: contacts masked); never a secret."""
    with uow:
        escalation = locked(uow, escalation_id)
        text = without_secrets(text[:TEXT_LENGTH])
        line = _line(uow.clock.now(), "member", redact(text))
        escalation.transcript = [*escalation.transcript, line]
        number = len(escalation.transcript)
        enqueue(
            uow,
            DeliveryTarget.SLACK_THREAD,
            f"escalation-{escalation_id}-slack_thread-{number}",
            {"text": text, "author": "member"},
            escalation_id=escalation_id,
        )
        uow.commit()


def relay_to_member(
    uow: UnitOfWork, escalation_id: int, staff_id: str, staff_name: str, text: str, event_id: str
) -> str:
    """A staff reply in the card's thread: "duplicate" | "note" | "not_live" | "sent".

    A reply starting with `note:` stays internal whatever the state; anything else reaches
    the member only while the escalation is claimed, signed with the staff's first name.
    """
    with uow:
        escalation = locked(uow, escalation_id)
        if not _take_event(uow, SLACK_EVENTS, event_id):
            return "duplicate"
        text = text[:TEXT_LENGTH]
        name = first_name(staff_name)
        internal = text.lstrip().lower().startswith(NOTE_PREFIX)
        live = escalation.status is EscalationStatus.CLAIMED and escalation.conversation_key
        if not internal and not live:
            uow.commit()  # the event is handled: a retry must not be relayed later
            return "not_live"
        line = _line(uow.clock.now(), "staff", text, by=staff_id, name=name, internal=internal)
        escalation.transcript = [*escalation.transcript, line]
        if internal:
            audit(uow, staff_id, "note", escalation, text=text)
        else:
            audit(uow, staff_id, "reply", escalation, length=len(text))
            notify_member(
                uow,
                escalation,
                MemberNotice.STAFF_MESSAGE,
                f"staff_message-{len(escalation.transcript)}",
                name=name,
                text=text,
            )
        uow.commit()
        return "note" if internal else "sent"


def card_posted(uow: UnitOfWork, escalation_id: int, channel: str, ts: str) -> None:
    """Remember where the card is, so its buttons and thread replies lead back here."""
    with uow:
        escalation = locked(uow, escalation_id)
        escalation.card_channel, escalation.card_ts = channel, ts
        uow.commit()


def helpdesk_update(
    uow: UnitOfWork, event_id: str, escalation_id: int, status: str, ticket: str | None = None
) -> bool:
    """A status from the helpdesk's signed webhook; False when this event was seen before."""
    with uow:
        escalation = locked(uow, escalation_id)
        if not _take_event(uow, HELPDESK_EVENTS, event_id):
            return False
        escalation.helpdesk_status = status[:40]
        if ticket:
            escalation.helpdesk_ticket = ticket[:80]
        audit(uow, "helpdesk", "helpdesk_update", escalation, status=status, ticket=ticket)
        refresh_card(uow, escalation_id, f"helpdesk-{_short(event_id)}")
        uow.commit()
        return True


def _take_event(uow: UnitOfWork, source: str, event_id: str) -> bool:
    """Insert the event id under a savepoint: a unique-key clash means another took it."""
    event_id = event_id if len(event_id) <= 120 else _short(event_id, 64)
    seen = select(ProcessedEvent.id).where(
        ProcessedEvent.conversation_key == source, ProcessedEvent.event_id == event_id
    )
    if uow.session.scalar(seen) is not None:
        return False
    try:
        with uow.session.begin_nested():
            uow.add(ProcessedEvent(conversation_key=source, event_id=event_id, at=uow.clock.now()))
    except IntegrityError:
        return False
    return True


def _line(at: datetime, who: str, text: str, **extra: Any) -> dict[str, Any]:
    return {"who": who, "text": text, "at": at.isoformat(), **extra}


def _short(value: str, length: int = 16) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:length]
