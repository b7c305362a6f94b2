"""R14: what the bot cannot solve is recorded for a person, with reason and transcript."""

from __future__ import annotations

from typing import Any

from bot.domain.models import Escalation
from bot.domain.types import EscalationStatus
from bot.domain.unit_of_work import UnitOfWork

REASONS = frozenset({"member_request", "no_migration", "misunderstood", "other"})


def open_escalation(
    uow: UnitOfWork, email: str | None, reason: str, transcript: list[dict[str, Any]]
) -> int:
    """One open escalation per member: a second request adds to the open one's transcript."""
    if reason not in REASONS:
        raise ValueError(f"unknown escalation reason {reason!r}")
    with uow:
        account = uow.repo.account(email, for_update=True) if email else None
        if account is not None:
            for existing in uow.repo.escalations(account):
                if existing.status is not EscalationStatus.RESOLVED:
                    existing.transcript = [*existing.transcript, *transcript]
                    uow.commit()
                    return existing.id
        escalation = Escalation(
            account_id=account.id if account else None,
            reason=reason,
            status=EscalationStatus.OPEN,
            transcript=list(transcript),
            created_at=uow.clock.now(),
        )
        uow.add(escalation)
        uow.commit()
        return escalation.id
