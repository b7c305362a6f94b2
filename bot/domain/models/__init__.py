"""SQLAlchemy 2.x models of the domain; importing this package registers every table."""

from bot.domain.models.accounts import BusinessAccount, LegacyAccount, LegacyRegistration
from bot.domain.models.base import Base
from bot.domain.models.catalogue import Dealer, Level, Product
from bot.domain.models.conversations import Conversation, ProcessedEvent
from bot.domain.models.deliveries import Delivery
from bot.domain.models.events import Event
from bot.domain.models.inbox import InboxEvent
from bot.domain.models.link_codes import LinkCode
from bot.domain.models.membership import Invitation, Invoice, Membership
from bot.domain.models.registrations import Registration
from bot.domain.models.support import (
    AuditEntry,
    Escalation,
    OutboxEmail,
    PasswordCredential,
    PasswordLinkToken,
)

__all__ = [
    "AuditEntry",
    "Base",
    "BusinessAccount",
    "Conversation",
    "Dealer",
    "Delivery",
    "Escalation",
    "Event",
    "InboxEvent",
    "Invitation",
    "Invoice",
    "LegacyAccount",
    "LegacyRegistration",
    "Level",
    "LinkCode",
    "Membership",
    "OutboxEmail",
    "PasswordCredential",
    "PasswordLinkToken",
    "ProcessedEvent",
    "Product",
    "Registration",
]
