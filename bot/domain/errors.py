"""Typed domain errors: each carries what a flow needs to explain it to the member."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


class DomainError(Exception):
    """Base of every refusal the domain gives; `code` is stable for flows and the CLI."""

    code = "domain_error"

    def __str__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{self.code}({fields})"


class NotFound(DomainError):
    """A look-up by key found nothing; the subclasses say what was looked for."""

    code = "not_found"


@dataclass(eq=False)
class AccountNotFound(NotFound):
    email: str
    code = "account_not_found"


@dataclass(eq=False)
class UnknownProduct(DomainError):
    product: str
    code = "unknown_product"


@dataclass(eq=False)
class RegistrationNotFound(NotFound):
    registration_id: int
    code = "registration_not_found"


@dataclass(eq=False)
class InvalidSerialNumber(DomainError):
    """The serial does not fit the product family; say where it is and what it looks like."""

    serial_number: str
    product: str
    example: str
    location: str
    code = "invalid_serial_number"


@dataclass(eq=False)
class SerialAlreadyRegistered(DomainError):
    serial_number: str
    product: str
    code = "serial_already_registered"


@dataclass(eq=False)
class SerialCannotBeGuessed(DomainError):
    """R6: every detail but the serial may be a best guess."""

    product: str
    location: str
    code = "serial_cannot_be_guessed"


@dataclass(eq=False)
class InvalidPurchaseDate(DomainError):
    purchase_date: date
    reason: str  # "future" | "too_old"
    code = "invalid_purchase_date"


@dataclass(eq=False)
class UnknownCountry(DomainError):
    country: str
    code = "unknown_country"


@dataclass(eq=False)
class MigrationNotOffered(DomainError):
    """R4: no old e-mail was given (or it matches no old account): re-register or ask support."""

    reason: str  # "old_email_not_given" | "old_account_not_found"
    code = "migration_not_offered"


@dataclass(eq=False)
class AlreadyMigrated(DomainError):
    legacy_email: str
    code = "already_migrated"


@dataclass(eq=False)
class NotInvited(DomainError):
    points: int
    points_needed: int
    code = "not_invited"


@dataclass(eq=False)
class UnknownLevel(DomainError):
    level: str
    code = "unknown_level"


@dataclass(eq=False)
class LevelLocked(DomainError):
    level: str
    points: int
    points_missing: int
    code = "level_locked"


@dataclass(eq=False)
class AlreadyMember(DomainError):
    number: str
    code = "already_member"


@dataclass(eq=False)
class PasswordAlreadySet(DomainError):
    """A first-time link was asked for an account whose password is set: offer a reset."""

    email: str
    code = "password_already_set"


@dataclass(eq=False)
class PasswordLinkInvalid(DomainError):
    reason: str  # "unknown" | "used" | "expired" | "revoked"
    code = "password_link_invalid"


@dataclass(eq=False)
class LegacyAccountNotFound(NotFound):
    legacy_email: str
    code = "legacy_account_not_found"


@dataclass(eq=False)
class LegacyAccountTaken(DomainError):
    """The old account is linked to, or was migrated to, another member: staff must check."""

    legacy_email: str
    code = "legacy_account_taken"


@dataclass(eq=False)
class EscalationNotFound(NotFound):
    escalation_id: int
    code = "escalation_not_found"


@dataclass(eq=False)
class DeliveryNotFound(NotFound):
    delivery_id: int
    code = "delivery_not_found"


@dataclass(eq=False)
class InboxEventNotDead(NotFound):
    """Only an event set aside (dead) can be replayed."""

    event_row_id: int
    code = "inbox_event_not_dead"


@dataclass(eq=False)
class AlreadyClaimed(DomainError):
    """Another staff member has the escalation; their name tells the second one whom to ask."""

    by_name: str
    code = "already_claimed"


@dataclass(eq=False)
class AlreadyResolved(DomainError):
    escalation_id: int
    code = "already_resolved"


@dataclass(eq=False)
class NotResolved(DomainError):
    """A rating is asked for once the escalation is resolved, not before."""

    escalation_id: int
    code = "not_resolved"
