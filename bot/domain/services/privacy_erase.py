"""`erase_member`: erasure on request, the member's personal data and every chat of theirs.

Table by table:

- conversations, processed_events, inbox_events, deliveries of each of the member's chats
  (linked to the account, or an escalation came from it): as `forget_chat`.
- escalations of the account or of those chats: kept anonymised (`forget_escalation`).
- outbox_emails to the member (their e-mail or the old one given), link_codes,
  password_link_tokens, password_credentials (the embedded identity store's hash),
  registrations, invitations: deleted.
- legacy_accounts and legacy_registrations: the old CPS account(s) given at sign-up or
  migrated here, deleted with their products.
- audit_log: entries about the member stay as facts (actor, action, time), the e-mail in
  target replaced by the erasure's reference, details naming the member dropped.
- memberships, invoices, business_accounts: kept only where a rule requires it. Invoices
  must be kept for the statutory bookkeeping period (EU VAT Directive 2006/112/EC arts.
  244-246; in Italy art. 2220 c.c., ten years): a membership with invoices stays (level,
  number, payment method, dates; status cancelled) and with it the account row it hangs
  on, anonymised: e-mail `<reference>@erased.invalid`, no old e-mail, password state
  reset; its country (the VAT place of supply) and language stay. Without invoices the
  membership and the account row are deleted.
- a new audit entry `MEMBER_ERASED` by `actor`, target a random reference (never the
  e-mail, so the log does not re-identify the person), with the counts.
"""

from __future__ import annotations

import secrets
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import func, select

from bot.domain.models import (
    AuditEntry,
    BusinessAccount,
    Invitation,
    LegacyAccount,
    LegacyRegistration,
    LinkCode,
    OutboxEmail,
    PasswordCredential,
    PasswordLinkToken,
    Registration,
)
from bot.domain.services import events
from bot.domain.services.audit import record_staff_action
from bot.domain.services.privacy_chat import (
    chat_keys,
    delete_rows,
    forget_chat_in,
    forget_escalation,
)
from bot.domain.services.privacy_export import emails_of, legacy_accounts
from bot.domain.types import MembershipStatus, PasswordState
from bot.domain.unit_of_work import UnitOfWork

MEMBER_ERASED = "member erased"
ERASED_DOMAIN = "erased.invalid"  # RFC 2606: an address that can never receive mail


@dataclass(frozen=True)
class Erasure:
    """What `erase_member` did, by table; `reference` is also the audit entry's target."""

    reference: str
    erased: dict[str, int]
    kept: dict[str, int] = field(default_factory=dict)


def erase_member(uow: UnitOfWork, email: str, actor: str) -> Erasure:
    """Erase the member `email` on request (see the module's table list); AccountNotFound
    when there is no such member."""
    with uow:
        account = uow.repo.account(email, for_update=True)
        reference = f"erasure-{secrets.token_hex(8)}"
        emails = emails_of(account)
        erased: Counter[str] = Counter()
        for key in chat_keys(uow, account):
            erased.update(forget_chat_in(uow, key))
        for escalation in uow.repo.escalations(account):  # those no chat is known for
            erased["deliveries"] += forget_escalation(uow, escalation)
            erased["escalations"] += 1
        erased["events"] += events.anonymise_account(uow, account.id)
        erased["audit_log"] = _anonymise_audit(uow, emails, reference)
        personal = _delete_personal_rows(uow, account, emails)
        erased["link_codes"] = personal.pop("link_codes")  # all deleted, some revoked first
        erased.update(personal)
        kept = _anonymise_or_delete_account(uow, account, reference)
        erased["business_accounts"] = 0 if kept else 1
        counts = dict(sorted(erased.items()))
        record_staff_action(uow, actor, MEMBER_ERASED, reference, {"erased": counts, "kept": kept})
        uow.commit()
        return Erasure(reference, counts, kept)


def _delete_personal_rows(
    uow: UnitOfWork, account: BusinessAccount, emails: list[str]
) -> dict[str, int]:
    """Everything of the account but its row and its membership, children first."""
    mine = account.id
    old = [o.id for o in legacy_accounts(uow, account)]
    return {
        "outbox_emails": delete_rows(uow, OutboxEmail, OutboxEmail.recipient.in_(emails)),
        "link_codes": delete_rows(uow, LinkCode, LinkCode.account_id == mine),
        "password_link_tokens": delete_rows(
            uow, PasswordLinkToken, PasswordLinkToken.account_id == mine
        ),
        "password_credentials": delete_rows(
            uow, PasswordCredential, PasswordCredential.account_id == mine
        ),
        "registrations": delete_rows(uow, Registration, Registration.account_id == mine),
        "invitations": delete_rows(uow, Invitation, Invitation.account_id == mine),
        "legacy_registrations": delete_rows(
            uow, LegacyRegistration, LegacyRegistration.legacy_account_id.in_(old)
        ),
        "legacy_accounts": delete_rows(uow, LegacyAccount, LegacyAccount.id.in_(old)),
    }


def _anonymise_or_delete_account(
    uow: UnitOfWork, account: BusinessAccount, reference: str
) -> dict[str, int]:
    """What stays for bookkeeping, by table ({} when nothing does: the row is deleted)."""
    membership = uow.repo.membership(account)
    invoices = len(membership.invoices) if membership is not None else 0
    if membership is None or not invoices:
        if membership is not None:
            uow.session.delete(membership)
        uow.flush()
        delete_rows(uow, BusinessAccount, BusinessAccount.id == account.id)
        return {}
    membership.status = MembershipStatus.CANCELLED
    account.email = f"{reference}@{ERASED_DOMAIN}"
    account.legacy_email = None
    account.password_state = PasswordState.NOT_SET
    return {"business_accounts": 1, "memberships": 1, "invoices": invoices}


def _anonymise_audit(uow: UnitOfWork, emails: list[str], reference: str) -> int:
    """Entries about the member keep actor, action and time; the e-mail becomes `reference`."""
    about = select(AuditEntry).where(func.lower(AuditEntry.target).in_(emails))
    count = 0
    for entry in uow.session.scalars(about):
        entry.target = reference
        entry.details = {
            k: v for k, v in entry.details.items() if not any(e in str(v).lower() for e in emails)
        }
        entry.note = None
        count += 1
    return count
