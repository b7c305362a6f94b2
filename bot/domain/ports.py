"""What the domain needs from outside, injected by bootstrap: policy, clock, number source."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from bot.domain.rules import PaymentTerms


@dataclass(frozen=True)
class Policy:
    """Numbers and addresses the rules use; built from settings at start-up."""

    mail_sender: str = "donotreply@canoneurope.com"
    password_link_base_url: str = "https://www.canon-europe.com/cps/password"
    password_link_ttl_minutes: int = 60
    invitation_points: int = 500
    invoice_currency: str = "EUR"
    payment_terms: PaymentTerms = field(
        default_factory=lambda: PaymentTerms(card_due_days=30, bank_transfer_due_days=14)
    )
    retention_days: int = 365  # chats, events, deliveries, transcripts (privacy.purge)
    mail_retention_days: int = 30  # sent mail


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class MembershipNumbers(Protocol):
    def proposals(self) -> Iterator[str]: ...


class RandomMembershipNumbers:
    """Unpredictable numbers like CPS-2026-483920; collisions are checked by the service."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    def proposals(self) -> Iterator[str]:
        year = self._clock.now().year
        for _ in range(1000):
            yield f"CPS-{year}-{secrets.randbelow(10**6):06d}"
