"""What the report is computed from, read from the database in a few queries: the period's
events, the escalations it opened, rated or reminded, and each member's place in the
joining journey. Plain values only (`analytics` does the arithmetic)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select

from bot.domain.models import (
    BusinessAccount,
    Escalation,
    Event,
    Invitation,
    Membership,
    Registration,
)
from bot.domain.services.events import channel_of
from bot.domain.types import EscalationStatus, InvitationStatus, PasswordState
from bot.domain.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class EventRow:
    at: datetime
    kind: str
    name: str
    detail: str | None
    channel: str | None
    language: str | None
    conversation_key: str | None
    account_id: int | None
    escalation_id: int | None
    text: str | None


@dataclass(frozen=True)
class EscalationRow:
    id: int
    reason: str
    language: str | None
    channel: str | None
    status: str
    created_at: datetime
    claimed_at: datetime | None
    resolved_at: datetime | None
    rating: int | None
    rated_at: datetime | None
    reminded_at: datetime | None


@dataclass(frozen=True)
class JourneyRow:
    """How far one member has come, now (the funnel's steps after the linked chat)."""

    account_id: int
    password_set: bool
    products: bool
    all_ticks: bool
    invited: bool
    level_chosen: bool
    paid: bool


@dataclass(frozen=True)
class ReportRows:
    events: list[EventRow]
    escalations: list[EscalationRow]  # opened, rated or reminded in the period, or open now
    journeys: dict[int, JourneyRow]  # the members who chatted in the period
    unreachable: frozenset[int]  # escalations whose card staff could not be shown


def load(uow: UnitOfWork, start: datetime, end: datetime) -> ReportRows:
    """Everything in [start, end) the report needs."""
    session = uow.session
    in_period = (Event.at >= start, Event.at < end)
    events = [
        EventRow(*row)
        for row in session.execute(
            select(
                Event.at,
                Event.kind,
                Event.name,
                Event.detail,
                Event.channel,
                Event.language,
                Event.conversation_key,
                Event.account_id,
                Event.escalation_id,
                Event.text,
            )
            .where(*in_period)
            .order_by(Event.at, Event.id)
        )
    ]
    unreachable = frozenset(
        session.scalars(
            select(Event.escalation_id).where(
                Event.kind == "staff_unreachable", Event.escalation_id.is_not(None)
            )
        )
    )
    members = sorted({e.account_id for e in events if e.account_id is not None})
    return ReportRows(
        events, _escalations(uow, start, end), _journeys(uow, members, end), unreachable
    )


def _escalations(uow: UnitOfWork, start: datetime, end: datetime) -> list[EscalationRow]:
    def within(column: object) -> object:
        return (column >= start) & (column < end)  # type: ignore[operator]

    query = select(
        Escalation.id,
        Escalation.reason,
        Escalation.language,
        Escalation.conversation_key,
        Escalation.status,
        Escalation.created_at,
        Escalation.claimed_at,
        Escalation.resolved_at,
        Escalation.rating,
        Escalation.rated_at,
        Escalation.reminded_at,
    ).where(
        or_(
            within(Escalation.created_at),
            within(Escalation.rated_at),
            within(Escalation.reminded_at),
            Escalation.status != EscalationStatus.RESOLVED,
        )
    )
    found = []
    for row in uow.session.execute(query.order_by(Escalation.id)):
        values = row._asdict()
        values["channel"] = channel_of(values.pop("conversation_key"))
        values["status"] = EscalationStatus(values["status"]).value
        found.append(EscalationRow(**values))
    return found


def _journeys(uow: UnitOfWork, members: list[int], end: datetime) -> dict[int, JourneyRow]:
    if not members:
        return {}
    session = uow.session
    password = dict(
        session.execute(
            select(BusinessAccount.id, BusinessAccount.password_state).where(
                BusinessAccount.id.in_(members)
            )
        ).all()
    )
    products: defaultdict[int, list[bool]] = defaultdict(list)
    for account_id, ticked in session.execute(
        select(Registration.account_id, Registration.points_assigned).where(
            Registration.account_id.in_(members)
        )
    ):
        products[account_id].append(bool(ticked))
    invited = set(
        session.scalars(
            select(Invitation.account_id).where(
                Invitation.account_id.in_(members), Invitation.status != InvitationStatus.NONE
            )
        )
    )
    paid = set(
        session.scalars(select(Membership.account_id).where(Membership.account_id.in_(members)))
    )
    chose = set(
        session.scalars(
            select(Event.account_id)
            .where(
                Event.kind == "milestone",
                Event.name == "level_chosen",
                Event.account_id.in_(members),
                Event.at < end,
            )
            .distinct()
        )
    )
    return {
        member: JourneyRow(
            account_id=member,
            password_set=password.get(member) == PasswordState.SET,
            products=bool(products[member]),
            all_ticks=bool(products[member]) and all(products[member]),
            invited=member in invited,
            level_chosen=member in chose or member in paid,
            paid=member in paid,
        )
        for member in members
        if member in password  # an account erased since: no journey to tell
    }
