"""Live human handoff (R14): an escalation is opened, claimed by staff, relayed, resolved, rated.

Every change queues what it must tell Slack, the helpdesk and the member as deliveries in
the same transaction (see `deliveries`), so nothing is lost while a party is unreachable.
Claiming and resolving lock the escalation's row: of two staff pressing Claim at once,
exactly one wins and the other is told who has it.

This module holds the lifecycle itself (open, claim, resolve, rate) and is the one the
callers use: it also names what its neighbours hold, so `handoff.<name>` reaches all of
it. Questions about escalations are in `handoff_queries`, the claim SLA's reminders in
`handoff_reminders`, the live relay in `handoff_relay` and the outbox in `deliveries`.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from bot.domain import errors
from bot.domain.models import BusinessAccount, Escalation
from bot.domain.services.deliveries import (
    Delivery,
    delivered,
    enqueue,
    failed,
    notify_member,
    pending,
    take_due,
)
from bot.domain.services.escalation_views import (
    EscalationView,
    audit,
    first_name,
    helpdesk_document,
    locked,
    refresh_card,
    to_view,
)
from bot.domain.services.handoff_queries import find_by_card, for_conversation, get, queue
from bot.domain.services.handoff_relay import (
    TEXT_LENGTH,
    card_posted,
    helpdesk_update,
    relay_to_member,
    relay_to_staff,
)
from bot.domain.services.handoff_reminders import mark_reminded, overdue_unclaimed
from bot.domain.services.member_state import snapshot
from bot.domain.types import DeliveryTarget, EscalationStatus, MemberNotice
from bot.domain.unit_of_work import UnitOfWork
from bot.privacy.masking import redact

__all__ = [
    "REASONS",
    "Delivery",
    "EscalationView",
    "card_posted",
    "claim",
    "decline_rating",
    "delivered",
    "failed",
    "find_by_card",
    "for_conversation",
    "get",
    "helpdesk_document",
    "helpdesk_update",
    "mark_reminded",
    "open_escalation",
    "overdue_unclaimed",
    "pending",
    "queue",
    "rate",
    "relay_to_member",
    "relay_to_staff",
    "resolve",
    "take_due",
]

TRANSCRIPT_KEPT = 400  # lines; asking again appends the chat's recent lines once more
REASONS = frozenset({"member_request", "no_migration", "misunderstood", "other"})
OPEN, CLAIMED, RESOLVED = EscalationStatus.OPEN, EscalationStatus.CLAIMED, EscalationStatus.RESOLVED


def open_escalation(
    uow: UnitOfWork,
    email: str | None,
    reason: str,
    transcript: list[dict[str, Any]],
    *,
    conversation_key: str | None = None,
    language: str | None = None,
) -> int:
    """One live escalation per member (or per chat when not linked): asking again adds to it.

    A new one snapshots the member's context and queues the Slack card and the helpdesk
    ticket in the same transaction. The transcript is kept redacted (no password, code or
    link token; e-mails and phones masked): it reaches Slack and the helpdesk.
    """
    if reason not in REASONS:
        raise ValueError(f"unknown escalation reason {reason!r}")
    transcript = [{**line, "text": redact(str(line.get("text", "")))} for line in transcript]
    with uow:
        account = uow.repo.account(email, for_update=True) if email else None
        existing = _live_one(uow, account, conversation_key)
        if existing is not None:
            new = _not_yet_in(existing.transcript, transcript)
            existing.transcript = [*existing.transcript, *new][-TRANSCRIPT_KEPT:]
            existing.conversation_key = existing.conversation_key or conversation_key
            existing.language = existing.language or language
            said = [line["text"] for line in transcript if line.get("who") == "member"]
            if said:  # staff see in the card's thread that the member asked again
                enqueue(
                    uow,
                    DeliveryTarget.SLACK_THREAD,
                    f"escalation-{existing.id}-slack_thread-again-{uuid.uuid4().hex}",
                    {"text": f"(asked again) {said[-1][:TEXT_LENGTH]}", "author": "member"},
                    escalation_id=existing.id,
                )
            uow.commit()
            return existing.id
        escalation = Escalation(
            account_id=account.id if account else None,
            account=account,
            conversation_key=conversation_key,
            language=language or (account.language if account else None),
            reason=reason,
            status=OPEN,
            context=snapshot(uow, account) if account else {},
            transcript=list(transcript),
            created_at=uow.clock.now(),
        )
        uow.add(escalation)
        uow.flush()
        prefix = f"escalation-{escalation.id}"
        enqueue(uow, DeliveryTarget.SLACK_CARD, f"{prefix}-slack_card", escalation_id=escalation.id)
        document = helpdesk_document(to_view(escalation))
        enqueue(
            uow,
            DeliveryTarget.HELPDESK,
            f"{prefix}-helpdesk",
            document,
            escalation_id=escalation.id,
        )
        uow.commit()
        return escalation.id


def _not_yet_in(kept: list[dict[str, Any]], recent: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The lines of the chat's recent transcript after those the escalation already has."""
    for overlap in range(min(len(kept), len(recent)), 0, -1):
        if kept[-overlap:] == recent[:overlap]:
            return recent[overlap:]
    return recent


def claim(uow: UnitOfWork, escalation_id: int, staff_id: str, staff_name: str) -> EscalationView:
    """The member is live with this staff member from now on; a second claimer is refused."""
    with uow:
        escalation = locked(uow, escalation_id)
        if escalation.status is RESOLVED:
            raise errors.AlreadyResolved(escalation_id)
        if escalation.status is CLAIMED:
            if escalation.claimed_by == staff_id:
                return to_view(escalation)
            raise errors.AlreadyClaimed(escalation.claimed_by_name or escalation.claimed_by or "")
        escalation.status = CLAIMED
        escalation.claimed_by, escalation.claimed_by_name = staff_id, staff_name
        escalation.claimed_at = uow.clock.now()
        audit(uow, staff_id, "claim", escalation)
        refresh_card(uow, escalation_id, "claimed")
        notify_member(uow, escalation, MemberNotice.CLAIMED, "claimed", name=first_name(staff_name))
        uow.commit()
        return to_view(escalation)


def resolve(uow: UnitOfWork, escalation_id: int, staff_id: str, staff_name: str) -> EscalationView:
    """Hand the member back to the bot, which asks for a rating."""
    with uow:
        escalation = locked(uow, escalation_id)
        if escalation.status is RESOLVED:
            raise errors.AlreadyResolved(escalation_id)
        escalation.status = RESOLVED
        escalation.resolved_at, escalation.resolved_by = uow.clock.now(), staff_id
        audit(uow, staff_id, "resolve", escalation, name=staff_name)
        refresh_card(uow, escalation_id, "resolved")
        notify_member(uow, escalation, MemberNotice.RESOLVED, "resolved")
        uow.commit()
        return to_view(escalation)


def rate(uow: UnitOfWork, escalation_id: int, rating: int) -> None:
    """Store the member's 1-5 rating of a resolved escalation; the first answer stands."""
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise ValueError(f"a rating is 1 to 5, not {rating!r}")
    with uow:
        escalation = _resolved(uow, escalation_id)
        if escalation.rating is None and not escalation.rating_declined:
            escalation.rating, escalation.rated_at = rating, uow.clock.now()
            uow.commit()


def decline_rating(uow: UnitOfWork, escalation_id: int) -> None:
    """The member did not want to rate: stop asking."""
    with uow:
        escalation = _resolved(uow, escalation_id)
        if escalation.rating is None and not escalation.rating_declined:
            escalation.rating_declined, escalation.rated_at = True, uow.clock.now()
            uow.commit()


def _live_one(
    uow: UnitOfWork, account: BusinessAccount | None, conversation_key: str | None
) -> Escalation | None:
    if account is not None:
        query = select(Escalation).where(Escalation.account_id == account.id)
    elif conversation_key is not None:
        query = select(Escalation).where(Escalation.conversation_key == conversation_key)
    else:
        return None
    query = query.where(Escalation.status != RESOLVED).order_by(Escalation.id.desc())
    return uow.session.scalars(query.limit(1)).first()


def _resolved(uow: UnitOfWork, escalation_id: int) -> Escalation:
    escalation = locked(uow, escalation_id)
    if escalation.status is not RESOLVED:
        raise errors.NotResolved(escalation_id)
    return escalation
