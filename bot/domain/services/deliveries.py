"""The deliveries outbox: Slack, helpdesk and member messages, retried until they land.

A delivery is queued in the same transaction as the change it reports, so an outage of
Slack or the helpdesk loses nothing: the worker takes what is due, sends it, and reports
`delivered` or `failed` (which schedules the next attempt with exponential backoff).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, exists, func, select, update
from sqlalchemy.orm import aliased

from bot.domain import errors
from bot.domain.driver_sql import DriverConnection
from bot.domain.models import Conversation, Escalation
from bot.domain.models import Delivery as DeliveryRow
from bot.domain.services import events
from bot.domain.services.events import Mark
from bot.domain.types import DeliveryTarget, MemberNotice
from bot.domain.unit_of_work import UnitOfWork

# Replies, updates and reminders go to the card's thread: they wait until the card is posted.
NEEDS_CARD = (
    DeliveryTarget.SLACK_CARD_UPDATE,
    DeliveryTarget.SLACK_THREAD,
    DeliveryTarget.SLACK_REMINDER,
)
LEASE = timedelta(seconds=60)  # a taken delivery is not handed to another worker for this long
ERROR_LENGTH = 200


@dataclass(frozen=True)
class Delivery:
    id: int
    target: str
    escalation_id: int | None
    conversation_key: str | None
    payload: dict[str, Any]
    attempts: int
    idempotency_key: str


def enqueue(
    uow: UnitOfWork,
    target: DeliveryTarget,
    key: str,
    payload: dict[str, Any] | None = None,
    *,
    escalation_id: int | None = None,
    conversation_key: str | None = None,
) -> None:
    """Queue inside the caller's open unit of work; due at once."""
    now = uow.clock.now()
    uow.add(
        DeliveryRow(
            target=target,
            escalation_id=escalation_id,
            conversation_key=conversation_key,
            payload=payload or {},
            idempotency_key=key,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
    )


def take_due(
    uow: UnitOfWork,
    targets: Iterable[str],
    *,
    limit: int = 50,
    key_prefix: str | None = None,
    lease: timedelta = LEASE,
) -> list[Delivery]:
    """Undelivered and due, oldest first; each is leased so two workers never send it twice.

    A worker that dies mid-send lets the lease run out and the delivery is taken again.
    `key_prefix` ("telegram:") keeps a channel's worker to its own members' chats.
    """
    wanted = [DeliveryTarget(t) for t in targets]
    with uow:
        now = uow.clock.now()
        card_posted = exists().where(
            Escalation.id == DeliveryRow.escalation_id, Escalation.card_ts.is_not(None)
        )
        earlier = aliased(DeliveryRow)
        # A chat's messages leave in order: none is taken while an earlier one waits for a
        # later attempt or is in another worker's hands (an earlier one due now comes first
        # in this same batch).
        head_of_chat = ~exists().where(
            earlier.conversation_key == DeliveryRow.conversation_key,
            earlier.target == DeliveryTarget.MEMBER,
            earlier.delivered_at.is_(None),
            earlier.id < DeliveryRow.id,
            earlier.next_attempt_at > now,
        )
        query = select(DeliveryRow).where(
            DeliveryRow.target.in_(wanted),
            DeliveryRow.delivered_at.is_(None),
            DeliveryRow.next_attempt_at <= now,
            DeliveryRow.target.not_in(NEEDS_CARD) | card_posted,
            (DeliveryRow.target != DeliveryTarget.MEMBER) | head_of_chat,
        )
        if key_prefix is not None:
            query = query.where(
                DeliveryRow.conversation_key.startswith(key_prefix, autoescape=True)
            )
        query = query.order_by(DeliveryRow.id).limit(limit).with_for_update(skip_locked=True)
        rows = _in_chat_order(uow, list(uow.session.scalars(query).all()))
        taken = [_delivery(row) for row in rows]
        for row in rows:
            row.next_attempt_at = now + lease
        uow.commit()
        return taken


def _in_chat_order(uow: UnitOfWork, rows: list[DeliveryRow]) -> list[DeliveryRow]:
    """Drops a chat's rows when its earliest undelivered one is not among them (another
    worker is taking it this very moment): they are taken again after it."""
    chats = {r.conversation_key for r in rows if r.target is DeliveryTarget.MEMBER}
    if not chats:
        return rows
    first = dict(
        uow.session.execute(
            select(DeliveryRow.conversation_key, func.min(DeliveryRow.id))
            .where(
                DeliveryRow.conversation_key.in_(chats),
                DeliveryRow.target == DeliveryTarget.MEMBER,
                DeliveryRow.delivered_at.is_(None),
            )
            .group_by(DeliveryRow.conversation_key)
        ).all()
    )
    taken_ids = {r.id for r in rows}
    return [
        r
        for r in rows
        if r.target is not DeliveryTarget.MEMBER or first.get(r.conversation_key) in taken_ids
    ]


def delivered(uow: UnitOfWork, delivery_id: int, result: dict[str, Any] | None = None) -> None:
    """Done; a posted card is recorded on its escalation, so buttons and replies find it."""
    with uow:
        row = _locked(uow, delivery_id)
        if row.delivered_at is not None:
            return
        row.delivered_at = uow.clock.now()
        row.result = result
        if row.target is DeliveryTarget.MEMBER and row.payload.get("kind") == "replies":
            row.payload = {"kind": "replies"}  # delivered: what was said is not kept here
        escalation = uow.session.get(Escalation, row.escalation_id) if row.escalation_id else None
        if escalation is not None and result:
            if row.target is DeliveryTarget.SLACK_CARD and result.get("ts"):
                escalation.card_channel = str(result["channel"])
                escalation.card_ts = str(result["ts"])
            if row.target is DeliveryTarget.HELPDESK and result.get("ticket"):
                escalation.helpdesk_ticket = str(result["ticket"])[:80]
        uow.commit()


_REPLIES_DELIVERED = (
    update(DeliveryRow.__table__)
    .where(
        DeliveryRow.__table__.c.id == bindparam("delivery_id"),
        DeliveryRow.__table__.c.delivered_at.is_(None),
    )
    .values(
        delivered_at=bindparam("now", type_=DeliveryRow.delivered_at.type),
        result=bindparam("result", type_=DeliveryRow.result.type),
        payload={"kind": "replies"},  # delivered: what was said is not kept here
    )
)


def replies_delivered(uow: UnitOfWork, marks: list[tuple[int, dict[str, Any]]]) -> None:
    """Turns' replies taken by their channel, with the channel's answer (message ids): one
    statement for them all, on every turn's hot path (on PostgreSQL the chat-state pool,
    in autocommit: a mark lost in a server crash sends those replies again, loses none)."""
    now = uow.clock.now()
    rows = [{"delivery_id": i, "now": now, "result": result} for i, result in marks]
    with uow.core_connection(write=True) as connection:
        if isinstance(connection, DriverConnection):
            connection.execute_many(_REPLIES_DELIVERED, rows)
        else:
            connection.execute(_REPLIES_DELIVERED, rows)


def failed(
    uow: UnitOfWork,
    delivery_id: int,
    error: str,
    *,
    retry_after: float | None = None,
    backoff: float = 1.0,
    backoff_max: float = 300.0,
) -> datetime:
    """Schedule the next attempt: exponential backoff, never sooner than a `Retry-After`.

    The first failure to post a card also queues an honest word to the member: the
    request is kept and staff will see it as soon as they can be reached.
    """
    with uow:
        row = _locked(uow, delivery_id)
        delay = max(retry_after or 0.0, min(backoff * 2 ** min(row.attempts, 32), backoff_max))
        now = uow.clock.now()
        row.attempts += 1
        row.next_attempt_at = now + timedelta(seconds=delay)
        row.last_error = error[:ERROR_LENGTH]
        if row.target is DeliveryTarget.SLACK_CARD and row.escalation_id is not None:
            _tell_member_staff_unreachable(uow, row.escalation_id)
        uow.commit()
        return row.next_attempt_at


def release_leases(uow: UnitOfWork, key_prefix: str) -> int:
    """A channel's only process starts (Telegram polling allows one): the messages a
    stopped or killed one had taken but not sent are due again, at once. Those waiting
    after a failure keep their backoff."""
    with uow:
        now = uow.clock.now()
        rows = uow.session.scalars(
            select(DeliveryRow).where(
                DeliveryRow.target == DeliveryTarget.MEMBER,
                DeliveryRow.delivered_at.is_(None),
                DeliveryRow.attempts == 0,
                DeliveryRow.next_attempt_at > now,
                DeliveryRow.conversation_key.startswith(key_prefix, autoescape=True),
            )
        ).all()
        for row in rows:
            row.next_attempt_at = now
        uow.commit()
        return len(rows)


def pending(uow: UnitOfWork, target: str | None = None) -> int:
    """How many deliveries have not landed yet (for health checks and tests)."""
    with uow:
        query = select(func.count()).select_from(DeliveryRow)
        query = query.where(DeliveryRow.delivered_at.is_(None))
        if target is not None:
            query = query.where(DeliveryRow.target == DeliveryTarget(target))
        return int(uow.session.scalar(query) or 0)


def notify_member(
    uow: UnitOfWork, escalation: Escalation, kind: MemberNotice, suffix: str, **params: str
) -> None:
    """Queue a message to the member's chat; an escalation with no chat has no one to tell."""
    if escalation.conversation_key is None:
        return
    enqueue(
        uow,
        DeliveryTarget.MEMBER,
        f"escalation-{escalation.id}-member-{suffix}",
        {"kind": kind.value, "params": params, "language": escalation.language},
        escalation_id=escalation.id,
        conversation_key=escalation.conversation_key,
    )


def notify_account_chats(
    uow: UnitOfWork, account_id: int, language: str, kind: MemberNotice, suffix: str, **params: str
) -> list[str]:
    """Queue a message to every chat linked to the account, each in the chat's language
    (else `language`); the keys of those chats (none: nobody to tell)."""
    chats = uow.session.execute(
        select(Conversation.key, Conversation.language)
        .where(Conversation.account_id == account_id)
        .order_by(Conversation.id)
    ).all()
    for key, chat_language in chats:
        enqueue(
            uow,
            DeliveryTarget.MEMBER,
            f"{kind.value}-{suffix}-{key}",
            {"kind": kind.value, "params": params, "language": chat_language or language},
            conversation_key=key,
        )
    return [key for key, _ in chats]


def notify_mail_failed(
    uow: UnitOfWork, mail_id: int, mail_kind: str, recipient: str, language: str
) -> int:
    """Queue a word to every chat linked to the recipient's account: the mail of
    `mail_kind` was refused for good by their mail server. How many chats were told (none
    when no chat is linked: staff still see the mail in their queue)."""
    account = uow.repo.find_account(recipient)
    if account is None:
        return 0
    kind = MemberNotice.MAIL_FAILED
    told = notify_account_chats(
        uow, account.id, language, kind, f"mail-{mail_id}", mail=mail_kind, address=account.email
    )
    return len(told)


def _tell_member_staff_unreachable(uow: UnitOfWork, escalation_id: int) -> None:
    escalation = uow.session.get(Escalation, escalation_id)
    if escalation is None:
        return
    kind = MemberNotice.STAFF_UNREACHABLE
    key = f"escalation-{escalation_id}-member-{kind.value}"
    queued = select(DeliveryRow.id).where(DeliveryRow.idempotency_key == key)
    if uow.session.scalar(queued) is None:  # once, however often the card fails
        notify_member(uow, escalation, kind, kind.value)
        mark = Mark("staff_unreachable", escalation.reason, escalation_id=escalation.id)
        events.record(
            uow,
            mark,
            conversation_key=escalation.conversation_key,
            language=escalation.language,
            account_id=escalation.account_id,
        )


def _locked(uow: UnitOfWork, delivery_id: int) -> DeliveryRow:
    row = uow.repo.locked(select(DeliveryRow).where(DeliveryRow.id == delivery_id))
    if row is None:
        raise errors.DeliveryNotFound(delivery_id)
    return row


def _delivery(row: DeliveryRow) -> Delivery:
    return Delivery(
        id=row.id,
        target=row.target.value,
        escalation_id=row.escalation_id,
        conversation_key=row.conversation_key,
        payload=dict(row.payload),
        attempts=row.attempts,
        idempotency_key=row.idempotency_key,
    )
