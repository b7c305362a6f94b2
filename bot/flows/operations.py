"""The database's operational figures for the web app's `GET /metrics` (which reaches the
domain through flows, as the password page does): read at scrape time, by the clock of
the unit of work, against the claim SLA (`handoff_claim_sla_minutes`)."""

from __future__ import annotations

from collections.abc import Callable

from bot.domain.services import operations
from bot.domain.services.operations import OperationsSnapshot
from bot.domain.unit_of_work import UnitOfWork


class OperationsReader:
    def __init__(self, uow: Callable[[], UnitOfWork], sla_minutes: float) -> None:
        self.uow = uow
        self.sla_minutes = sla_minutes

    def snapshot(self) -> OperationsSnapshot:
        """The figures now (blocking: a few grouped queries)."""
        uow = self.uow()
        return operations.snapshot(uow, uow.clock.now(), self.sla_minutes)
