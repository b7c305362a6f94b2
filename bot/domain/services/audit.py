"""The audit log of staff actions: who did what to whom."""

from __future__ import annotations

from typing import Any

from bot.domain.models import AuditEntry
from bot.domain.unit_of_work import UnitOfWork


def record_staff_action(
    uow: UnitOfWork, actor: str, action: str, target: str, details: dict[str, Any] | None = None
) -> None:
    """Called inside the action's own unit of work, so the entry lands only if the action does."""
    uow.add(
        AuditEntry(
            actor=actor, action=action, target=target, details=details or {}, at=uow.clock.now()
        )
    )
