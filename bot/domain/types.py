"""Value types shared by models, rules and services."""

from __future__ import annotations

import enum


class PasswordState(enum.StrEnum):
    NOT_SET = "not_set"
    SET = "set"


class DatePrecision(enum.StrEnum):
    """How much of a purchase date the member knew (R6)."""

    DAY = "day"
    MONTH = "month"
    SEASON = "season"
    YEAR = "year"
    APPROXIMATE = "approximate"


class RegistrationSource(enum.StrEnum):
    REGISTERED = "registered"
    MIGRATED = "migrated"


class Detail(enum.StrEnum):
    """The four mandatory details of a registration (R5), in the order they are asked."""

    SERIAL_NUMBER = "serial_number"
    PURCHASE_DATE = "purchase_date"
    COUNTRY = "country"
    DEALER = "dealer"


class InvitationStatus(enum.StrEnum):
    NONE = "none"
    SENT = "sent"
    ACCEPTED = "accepted"


class PaymentMethod(enum.StrEnum):
    CARD = "card"
    BANK_TRANSFER = "bank_transfer"


class MembershipStatus(enum.StrEnum):
    ACTIVE = "active"
    CANCELLED = "cancelled"


class PasswordLinkPurpose(enum.StrEnum):
    SET = "set"
    RESET = "reset"


class EscalationStatus(enum.StrEnum):
    OPEN = "open"
    CLAIMED = "claimed"
    RESOLVED = "resolved"
