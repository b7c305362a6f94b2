"""Forgetting one chat (`/forget`): afterwards no row holds what was said in it or ties it
to the person. Table by table:

- conversations, processed_events, inbox_events: the chat's rows are deleted (state and
  transcript, the link to the account, the event ids, the raw updates).
- deliveries to the chat (target member): deleted, sent or not; the member asked to
  forget, so what was not yet sent is not sent either.
- escalations of the chat: the row stays for staff statistics (reason, status, language,
  times, who claimed and resolved, rating, the Slack card's address and helpdesk ticket
  id) with no chat key, no account, no transcript, no context. One still open or claimed
  is closed (resolved by `FORGOTTEN_BY`). A posted Slack card gets a redraw queued, so it
  shows the escalation as it is now: closed, without the member's details.
- their staff-side deliveries (Slack card, thread lines, reminder, helpdesk ticket): not
  yet sent, dropped; sent, their payload emptied (the row stays: its key holds no chat key
  and keeps a redelivered event from being sent twice).
- audit_log entries on those escalations: actor, action, target and time stay; the
  member's e-mail or chat key and the text of staff notes go.
- link_codes of the chat's account (the chat's way to link): live ones revoked, and the
  link-code mail (it holds the code) deleted from outbox_emails.
- a new audit entry `CHAT_FORGOTTEN` whose target is the channel's name, nothing more.

The business account, its products, membership and mail stay: they are the member's
account, which `member erase` removes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import delete, func, select, update

from bot.domain.models import (
    AuditEntry,
    BusinessAccount,
    Conversation,
    Delivery,
    Escalation,
    InboxEvent,
    LinkCode,
    OutboxEmail,
    ProcessedEvent,
)
from bot.domain.services import events
from bot.domain.services.audit import record_staff_action
from bot.domain.services.escalation_views import refresh_card
from bot.domain.types import EscalationStatus
from bot.domain.unit_of_work import UnitOfWork

CHAT_FORGOTTEN = "chat forgotten"
FORGOTTEN_BY = "privacy:forget"  # resolved_by of an escalation closed by forgetting its chat
PERSONAL_AUDIT_DETAILS = ("member", "text")  # the member's e-mail or chat key, a note's text


def forget_chat(uow: UnitOfWork, key: str) -> dict[str, int]:
    """The member asked to erase the chat `key`: what was removed, by table."""
    with uow:
        counts = forget_chat_in(uow, key)
        channel = key.partition(":")[0] or "chat"
        record_staff_action(uow, "member", CHAT_FORGOTTEN, channel, counts)
        uow.commit()
        return counts


def forget_chat_in(uow: UnitOfWork, key: str) -> dict[str, int]:
    """`forget_chat` inside the caller's open unit of work, without its audit entry."""
    _lock_chat(uow, key)
    accounts = _accounts_of_chat(uow, key)
    escalations = uow.session.scalars(
        select(Escalation).where(Escalation.conversation_key == key)
    ).all()
    counts = {
        "conversations": delete_rows(uow, Conversation, Conversation.key == key),
        "processed_events": delete_rows(
            uow, ProcessedEvent, ProcessedEvent.conversation_key == key
        ),
        "inbox_events": delete_rows(uow, InboxEvent, InboxEvent.conversation_key == key),
        "deliveries": delete_rows(uow, Delivery, Delivery.conversation_key == key),
        "escalations": len(escalations),
        "events": events.anonymise_chat(uow, key),
    }
    for escalation in escalations:
        counts["deliveries"] += forget_escalation(uow, escalation)
    counts["link_codes"], counts["outbox_emails"] = _forget_link_codes(uow, accounts)
    return counts


def forget_escalation(uow: UnitOfWork, escalation: Escalation) -> int:
    """Keeps the escalation's facts, drops its chat, account and text; how many
    deliveries were dropped or emptied."""
    live = escalation.status is not EscalationStatus.RESOLVED
    if live:
        escalation.status = EscalationStatus.RESOLVED
        escalation.resolved_at, escalation.resolved_by = uow.clock.now(), FORGOTTEN_BY
    escalation.account = None
    escalation.account_id = None
    escalation.conversation_key = None
    escalation.transcript, escalation.context = [], None
    of_it = Delivery.escalation_id == escalation.id
    changed = delete_rows(uow, Delivery, of_it, Delivery.delivered_at.is_(None))
    emptied = update(Delivery).where(of_it).values(payload={})
    changed += int(uow.session.execute(emptied).rowcount or 0)
    _scrub_audit(uow, [f"escalation:{escalation.id}"], PERSONAL_AUDIT_DETAILS)
    if escalation.card_ts is not None:  # the card is redrawn as the row is now: no text
        refresh_card(uow, escalation.id, "forgotten")
    return changed


def chat_keys(uow: UnitOfWork, account: BusinessAccount) -> list[str]:
    """The member's chats: those linked to the account and those its escalations came from."""
    linked = select(Conversation.key).where(Conversation.account_id == account.id)
    escalated = select(Escalation.conversation_key).where(
        Escalation.account_id == account.id, Escalation.conversation_key.is_not(None)
    )
    return sorted(
        set(uow.session.scalars(linked)) | {k for k in uow.session.scalars(escalated) if k}
    )


def _scrub_audit(uow: UnitOfWork, targets: list[str], keys: Iterable[str]) -> None:
    for entry in uow.session.scalars(select(AuditEntry).where(AuditEntry.target.in_(targets))):
        entry.details = {k: v for k, v in entry.details.items() if k not in keys}
        entry.note = None


def _accounts_of_chat(uow: UnitOfWork, key: str) -> list[BusinessAccount]:
    """The account the chat is linked to, those of its escalations, and one it is linking
    to (an e-mail in the dialogue's state: the link-code step)."""
    linked = select(Conversation.account_id).where(Conversation.key == key)
    escalated = select(Escalation.account_id).where(Escalation.conversation_key == key)
    state = uow.session.scalar(select(Conversation.state).where(Conversation.key == key)) or {}
    dialogue = {k: v for k, v in state.items() if k != "transcript"}  # the flows' own data
    emails = {s.strip().lower() for s in _strings(dialogue) if "@" in s}
    query = select(BusinessAccount).where(
        BusinessAccount.id.in_(linked) | BusinessAccount.id.in_(escalated)
        | BusinessAccount.email.in_(emails)
    )  # fmt: skip
    return list(uow.session.scalars(query))


def _forget_link_codes(uow: UnitOfWork, accounts: list[BusinessAccount]) -> tuple[int, int]:
    """Live codes revoked and link-code mail deleted: (codes, mails)."""
    if not accounts:
        return 0, 0
    revoked = uow.session.execute(
        update(LinkCode)
        .where(
            LinkCode.account_id.in_([a.id for a in accounts]),
            LinkCode.used_at.is_(None),
            LinkCode.revoked_at.is_(None),
        )
        .values(revoked_at=uow.clock.now())
    ).rowcount
    mails = delete_rows(
        uow,
        OutboxEmail,
        OutboxEmail.kind == "link_code",
        OutboxEmail.recipient.in_([a.email for a in accounts]),
    )
    return revoked, mails


def _lock_chat(uow: UnitOfWork, key: str) -> None:
    """PostgreSQL: wait for a turn of this chat in another process (the turn's lock);
    SQLite's writer lock already serialises them."""
    if uow.session.get_bind().dialect.name == "postgresql":  # the lock `turns` takes
        uow.session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(key, 0))))


def delete_rows(uow: UnitOfWork, model: type[Any], *where: Any) -> int:
    """A bulk DELETE; how many rows went."""
    statement = delete(model).where(*where).execution_options(synchronize_session=False)
    return int(uow.session.execute(statement).rowcount or 0)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
