"""The operational figures, read from a database in a known state, on SQLite and
PostgreSQL alike (the channel of a member's chat is cut from its key by the database)."""

from __future__ import annotations

from datetime import timedelta

from bot.domain.models import Delivery, Escalation, InboxEvent, OutboxEmail
from bot.domain.services.operations import OperationsSnapshot, snapshot
from bot.domain.types import DeliveryTarget, EscalationStatus, InboxStatus, MailStatus
from bot.domain.unit_of_work import UnitOfWork
from tests.support import START, FixedClock

SLA_MINUTES = 15


def delivery(key: str, target: DeliveryTarget, minutes_ago: float, **row: object) -> Delivery:
    at = START - timedelta(minutes=minutes_ago)
    return Delivery(target=target, idempotency_key=key, payload={}, attempts=row.pop("attempts", 0),
                    next_attempt_at=at, created_at=at, **row)  # fmt: skip


def mail(recipient: str, status: MailStatus, minutes_ago: float) -> OutboxEmail:
    at = START - timedelta(minutes=minutes_ago)
    return OutboxEmail(kind="link_code", sender="donotreply@canoneurope.com", recipient=recipient,
                       language="it", template_data={}, created_at=at, status=status)  # fmt: skip


def escalation(status: EscalationStatus, minutes_ago: float) -> Escalation:
    at = START - timedelta(minutes=minutes_ago)
    return Escalation(reason="member_request", status=status, transcript=[], created_at=at)


def inbound(event_id: str, status: InboxStatus) -> InboxEvent:
    return InboxEvent(channel="telegram", event_id=event_id, status=status, received_at=START)


def test_the_figures_of_a_known_state(uow: UnitOfWork, clock: FixedClock) -> None:
    member = DeliveryTarget.MEMBER
    landed = {"delivered_at": START}
    with uow:
        for row in (
            delivery("t1", member, 10, conversation_key="telegram:42"),
            delivery("t2", member, 3, conversation_key="telegram:7", attempts=2),
            delivery("t3", member, 90, conversation_key="telegram:8", **landed),  # not counted
            delivery("c1", member, 1, conversation_key="console:giulia:2"),  # first ':' only
            delivery("s1", DeliveryTarget.SLACK_CARD, 20, attempts=1),
            delivery("s2", DeliveryTarget.SLACK_THREAD, 5),
            delivery("h1", DeliveryTarget.HELPDESK, 2, attempts=4),
            mail("anna@example.com", MailStatus.PENDING, 4),
            mail("bruno@example.com", MailStatus.PENDING, 6),
            mail("carla@example.com", MailStatus.FAILED, 60),
            mail("dario@example.com", MailStatus.SENT, 120),
            escalation(EscalationStatus.OPEN, 16),  # past the SLA
            escalation(EscalationStatus.OPEN, 15),  # exactly at it: past it too
            escalation(EscalationStatus.OPEN, 14),
            escalation(EscalationStatus.CLAIMED, 40),  # claimed: no one waits for a claim
            escalation(EscalationStatus.RESOLVED, 50),
            inbound("1", InboxStatus.DEAD),
            inbound("2", InboxStatus.DEAD),
            inbound("3", InboxStatus.PENDING),
        ):
            uow.add(row)
        uow.commit()

    assert snapshot(uow, clock.now(), SLA_MINUTES) == OperationsSnapshot(
        outbox_pending={"telegram": 2, "console": 1, "slack": 2, "helpdesk": 1},
        outbox_oldest_age_seconds={"telegram": 600, "console": 60, "slack": 1200, "helpdesk": 120},
        deliveries_failing={"telegram": 1, "console": 0, "slack": 1, "helpdesk": 1},
        emails_pending=2,
        emails_oldest_age_seconds=360,
        emails_failed=1,
        escalations={"open": 3, "claimed": 1},
        escalations_unclaimed_past_sla=2,
        inbox_set_aside=2,
    )


def test_an_empty_database_reads_as_nothing_waiting(uow: UnitOfWork, clock: FixedClock) -> None:
    assert snapshot(uow, clock.now(), SLA_MINUTES) == OperationsSnapshot(
        escalations={"open": 0, "claimed": 0}
    )
