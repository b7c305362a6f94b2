"""The e-mail outbox: mail is queued in the same transaction as the change it reports."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from bot.domain.models import OutboxEmail
from bot.domain.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Mail:
    id: int
    kind: str
    sender: str
    recipient: str
    language: str
    data: dict[str, Any]


def take_pending(uow: UnitOfWork, recipient: str | None = None, limit: int = 50) -> list[Mail]:
    """Mail not yet delivered (oldest first), marked as sent: the caller delivers it."""
    with uow:
        query = select(OutboxEmail).where(OutboxEmail.sent_at.is_(None))
        if recipient is not None:
            query = query.where(OutboxEmail.recipient == recipient)
        rows = uow.session.scalars(query.order_by(OutboxEmail.id).limit(limit)).all()
        taken = [
            Mail(r.id, r.kind, r.sender, r.recipient, r.language, dict(r.template_data))
            for r in rows
        ]
        for row in rows:
            row.sent_at = uow.clock.now()
        uow.commit()
        return taken
