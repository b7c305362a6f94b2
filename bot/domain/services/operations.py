"""What operators watch in the database, read at once: the figures `GET /metrics` shows.

    figures = snapshot(uow, now, sla_minutes=15)

Four grouped reads in one read-only transaction (a plain read on SQLite: the scrape never
queues for the write lock): messages waiting in the outbox per channel and the oldest
one's age, those whose last attempt failed; mail waiting, its oldest age, mail refused
for good; escalations open and claimed, and the open ones nobody took within the claim
SLA; inbound events set aside. A member delivery's channel is its chat key's prefix
("telegram:42" -> "telegram"), cut by the database so a thousand waiting chats are still
one row per channel; the channels are named as the counters name them
(`bot.observability.labels`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, case, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from bot.domain.models import Delivery, Escalation, InboxEvent, OutboxEmail
from bot.domain.types import EscalationStatus, InboxStatus, MailStatus
from bot.domain.unit_of_work import UnitOfWork
from bot.observability.labels import delivery_channel

WATCHED_ESCALATIONS = (EscalationStatus.OPEN, EscalationStatus.CLAIMED)


@dataclass(frozen=True)
class OperationsSnapshot:
    """The figures at one moment; a channel with nothing waiting has no entry."""

    outbox_pending: dict[str, int] = field(default_factory=dict)  # channel -> undelivered
    outbox_oldest_age_seconds: dict[str, float] = field(default_factory=dict)
    deliveries_failing: dict[str, int] = field(default_factory=dict)  # tried, not landed
    emails_pending: int = 0
    emails_oldest_age_seconds: float = 0.0  # 0 when none waits
    emails_failed: int = 0
    escalations: dict[str, int] = field(default_factory=dict)  # "open", "claimed" -> count
    escalations_unclaimed_past_sla: int = 0
    inbox_set_aside: int = 0


def snapshot(uow: UnitOfWork, now: datetime, sla_minutes: float) -> OperationsSnapshot:
    with uow.core_connection(write=False, durable=True) as connection:
        pending, oldest, failing = _outbox(connection)
        mail = {row.status: row for row in connection.execute(_MAIL)}
        cutoff = now - timedelta(minutes=sla_minutes)
        escalations = {row.status: row for row in connection.execute(_escalations(cutoff))}
        set_aside = connection.execute(_SET_ASIDE).scalar_one()
    pending_mail = mail.get(MailStatus.PENDING)
    failed_mail = mail.get(MailStatus.FAILED)
    return OperationsSnapshot(
        outbox_pending=pending,
        outbox_oldest_age_seconds={channel: _age(now, at) for channel, at in oldest.items()},
        deliveries_failing=failing,
        emails_pending=pending_mail.total if pending_mail else 0,
        emails_oldest_age_seconds=_age(now, pending_mail.oldest) if pending_mail else 0.0,
        emails_failed=failed_mail.total if failed_mail else 0,
        escalations={
            status.value: escalations[status].total if status in escalations else 0
            for status in WATCHED_ESCALATIONS
        },
        escalations_unclaimed_past_sla=sum(int(row.late or 0) for row in escalations.values()),
        inbox_set_aside=int(set_aside),
    )


class _KeyChannel(FunctionElement[str]):
    """The part of a chat key before its first ':' (the whole key when it has none)."""

    type = String()
    inherit_cache = True


@compiles(_KeyChannel)
def _key_channel_postgresql(element: _KeyChannel, compiler: Any, **kw: Any) -> str:
    return f"split_part({compiler.process(element.clauses, **kw)}, ':', 1)"


@compiles(_KeyChannel, "sqlite")
def _key_channel_sqlite(element: _KeyChannel, compiler: Any, **kw: Any) -> str:
    key = compiler.process(element.clauses, **kw)
    cut = f"instr({key}, ':')"
    return f"CASE WHEN {cut} > 0 THEN substr({key}, 1, {cut} - 1) ELSE {key} END"


# The channel expression groups without bound parameters: PostgreSQL would not match a
# parameterised CASE in GROUP BY to the same one in the select list.
_KEY_CHANNEL = _KeyChannel(Delivery.conversation_key)
_OUTBOX = (
    select(
        Delivery.target,
        _KEY_CHANNEL.label("key_channel"),
        func.count().label("total"),
        func.min(Delivery.created_at).label("oldest"),
        func.count(case((Delivery.attempts > 0, 1))).label("failing"),
    )
    .where(Delivery.delivered_at.is_(None))
    .group_by(Delivery.target, _KEY_CHANNEL)
)
_MAIL = (
    select(
        OutboxEmail.status,
        func.count().label("total"),
        func.min(OutboxEmail.created_at).label("oldest"),
    )
    .where(OutboxEmail.status.in_([MailStatus.PENDING, MailStatus.FAILED]))
    .group_by(OutboxEmail.status)
)
_SET_ASIDE = select(func.count()).where(InboxEvent.status == InboxStatus.DEAD)


def _escalations(cutoff: datetime) -> Any:
    late = (Escalation.status == EscalationStatus.OPEN) & (Escalation.created_at <= cutoff)
    return (
        select(
            Escalation.status,
            func.count().label("total"),
            func.count(case((late, 1))).label("late"),
        )
        .where(Escalation.status.in_(WATCHED_ESCALATIONS))
        .group_by(Escalation.status)
    )


def _outbox(connection: Any) -> tuple[dict[str, int], dict[str, datetime], dict[str, int]]:
    """Per channel: undelivered, the oldest one's creation, those that failed so far.
    (Rows come per target and chat-key prefix: a few, folded here into channels.)"""
    pending: dict[str, int] = {}
    oldest: dict[str, datetime] = {}
    failing: dict[str, int] = {}
    for row in connection.execute(_OUTBOX):
        channel = delivery_channel(row.target, row.key_channel)
        pending[channel] = pending.get(channel, 0) + row.total
        oldest[channel] = min(row.oldest, oldest.get(channel, row.oldest))
        failing[channel] = failing.get(channel, 0) + row.failing
    return pending, oldest, failing


def _age(now: datetime, then: datetime | None) -> float:
    return max(0.0, (now - then).total_seconds()) if then is not None else 0.0
