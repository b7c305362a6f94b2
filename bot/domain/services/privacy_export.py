"""`export_member`: everything held about a member, as one JSON document (an access request).

Every column of every row about the member, with two exceptions, both secrets: the hashes
of link codes and password tokens, and the link or code of a mail not yet sent (a sent
mail no longer holds them, see `outbox.mail_sent`).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import or_, select

from bot.domain.models import (
    AuditEntry,
    BusinessAccount,
    Conversation,
    Delivery,
    Escalation,
    InboxEvent,
    Invitation,
    LegacyAccount,
    LinkCode,
    OutboxEmail,
    PasswordLinkToken,
)
from bot.domain.services.member_state import state_of
from bot.domain.services.outbox import scrub_secrets
from bot.domain.services.privacy_chat import chat_keys
from bot.domain.unit_of_work import UnitOfWork

WITHHELD = "[withheld]"  # in place of an unsent mail's link or code


def export_member(uow: UnitOfWork, email: str) -> dict[str, Any]:
    """The member's account, state (`member show --json`), products, old account(s),
    invitation, membership and invoices, chats, escalations with their transcripts,
    deliveries and inbound events of those chats, mail, link codes, password links, and
    the audit entries about them."""
    with uow:
        account = uow.repo.account(email)
        keys = chat_keys(uow, account)
        escalations = _escalations(uow, account, keys)
        ids = [e.id for e in escalations]
        return {
            "account": plain_row(account),
            "state": state_of(uow, account),
            "registrations": [
                {**plain_row(r), "product": r.product.name} for r in account.registrations
            ],
            "legacy_accounts": [
                {**plain_row(old), "registrations": [plain_row(r) for r in old.registrations]}
                for old in legacy_accounts(uow, account)
            ],
            "invitations": _rows(uow, Invitation, Invitation.account_id == account.id),
            "membership": _membership(uow, account),
            "conversations": _rows(uow, Conversation, Conversation.key.in_(keys)),
            "escalations": [plain_row(e) for e in escalations],
            "deliveries": _rows(
                uow,
                Delivery,
                or_(Delivery.conversation_key.in_(keys), Delivery.escalation_id.in_(ids)),
            ),
            "inbox_events": _rows(uow, InboxEvent, InboxEvent.conversation_key.in_(keys)),
            "outbox_emails": [
                _mail(m)
                for m in _all(uow, OutboxEmail, OutboxEmail.recipient.in_(emails_of(account)))
            ],
            "link_codes": [
                plain_row(c, "code_hash")
                for c in _all(uow, LinkCode, LinkCode.account_id == account.id)
            ],
            "password_links": [
                plain_row(t, "token_hash")
                for t in _all(uow, PasswordLinkToken, PasswordLinkToken.account_id == account.id)
            ],
            "audit_log": _rows(
                uow,
                AuditEntry,
                AuditEntry.target.in_([account.email, *(f"escalation:{i}" for i in ids)]),
            ),
        }


def legacy_accounts(uow: UnitOfWork, account: BusinessAccount) -> list[LegacyAccount]:
    """The member's old CPS account(s): the one given at sign-up (R3) or migrated here."""
    given = (account.legacy_email or "").strip().lower()
    query = select(LegacyAccount).where(
        or_(LegacyAccount.migrated_to_id == account.id, LegacyAccount.email == given)
    )
    return list(uow.session.scalars(query.order_by(LegacyAccount.id)))


def emails_of(account: BusinessAccount) -> list[str]:
    """The account's e-mail and the old one given at sign-up, lower case."""
    return sorted({e.strip().lower() for e in (account.email, account.legacy_email) if e})


def plain_row(row: Any, *without: str) -> dict[str, Any]:
    """Every column of an ORM row (but `without`), as JSON types."""
    columns = type(row).__table__.columns
    return {c.key: _plain(getattr(row, c.key)) for c in columns if c.key not in without}


def _membership(uow: UnitOfWork, account: BusinessAccount) -> dict[str, Any] | None:
    membership = uow.repo.membership(account)
    if membership is None:
        return None
    return {
        **plain_row(membership),
        "level": membership.level.code,
        "invoices": [plain_row(i) for i in membership.invoices],
    }


def _escalations(uow: UnitOfWork, account: BusinessAccount, keys: list[str]) -> list[Escalation]:
    mine = or_(Escalation.account_id == account.id, Escalation.conversation_key.in_(keys))
    return _all(uow, Escalation, mine)


def _mail(mail: OutboxEmail) -> dict[str, Any]:
    return {
        **plain_row(mail),
        "template_data": _plain(scrub_secrets(mail.kind, dict(mail.template_data), WITHHELD)),
    }


def _all(uow: UnitOfWork, model: type[Any], *where: Any) -> list[Any]:
    return list(uow.session.scalars(select(model).where(*where).order_by(model.id)))


def _rows(uow: UnitOfWork, model: type[Any], *where: Any) -> list[dict[str, Any]]:
    return [plain_row(row) for row in _all(uow, model, *where)]


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
