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


class DeliveryTarget(enum.StrEnum):
    """Where a queued delivery goes; each worker takes only the targets it can reach."""

    SLACK_CARD = "slack_card"
    SLACK_CARD_UPDATE = "slack_card_update"
    SLACK_THREAD = "slack_thread"
    SLACK_REMINDER = "slack_reminder"
    HELPDESK = "helpdesk"
    MEMBER = "member"


class MemberNotice(enum.StrEnum):
    """The kinds of message a "member" delivery carries; the channel words them."""

    CLAIMED = "claimed"
    STAFF_MESSAGE = "staff_message"
    STILL_WAITING = "still_waiting"
    RESOLVED = "resolved"
    STAFF_UNREACHABLE = "staff_unreachable"
    MAIL_FAILED = "mail_failed"  # a mail to the member was refused for good
    PASSWORD_SET = "password_set"  # on the password page (no escalation: every chat of theirs)
    INVITED = "invited"  # R7 reached outside a turn of theirs (staff linked the old account)
    INVOICE_DUE = "invoice_due"  # a bank transfer's invoice is due in a few days


class MailStatus(enum.StrEnum):
    """Where a queued e-mail is: waiting (or being retried), accepted by the server, or
    refused for good (the member and staff are told)."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class InboxStatus(enum.StrEnum):
    """Where an inbound event is: stored and waiting, handled, or set aside for an operator."""

    PENDING = "pending"
    DONE = "done"
    DEAD = "dead"
