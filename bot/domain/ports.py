"""What the domain needs from outside, injected by bootstrap: policy, clock, number source,
and the identity store a password set on the password page goes to."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

from bot.domain.errors import DomainError
from bot.domain.rules import PaymentTerms

if TYPE_CHECKING:
    from bot.domain.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Policy:
    """Numbers and addresses the rules use; built from settings at start-up."""

    mail_sender: str = "donotreply@canoneurope.com"
    web_base_url: str = "http://127.0.0.1:8090"  # links are {web_base_url}/password/{token}
    password_link_ttl_minutes: int = 60
    password_link_max_attempts: int = 5  # refused passwords before a link stops working
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


@dataclass(frozen=True)
class IdentityAccount:
    """Whose password is set: the account's id (the embedded store's key) and e-mail (how
    Keycloak finds the user)."""

    id: int
    email: str


@dataclass(eq=False)
class IdentityUnavailable(DomainError):
    """The identity store could not take the password now (down, misconfigured, no such
    user there); nothing was changed and the link still works."""

    reason: str
    code = "identity_unavailable"


@dataclass(eq=False)
class IdentityRefused(DomainError):
    """The identity store refused this password (its own password policy)."""

    reason: str
    code = "identity_refused"


class IdentityStore(Protocol):
    """Where a member's password goes; the bot never reads one back.

    Called inside the use case's unit of work, before its commit: the embedded store
    writes in that transaction (the hash and the used link commit together), a remote one
    (Keycloak) is called then, so its refusal leaves the link usable. Raises
    IdentityUnavailable or IdentityRefused; never logs or keeps the password.
    """

    def set_password(self, uow: UnitOfWork, account: IdentityAccount, password: str) -> None: ...

    def close(self) -> None:
        """Releases what the store holds open (connections), at shutdown."""
