"""The SMTP worker's outbox: e-mail taken when due, leased, and settled by the server's answer.

The same operations as the deliveries outbox (`take_due`, `delivered`, `failed`), so the
same `DeliveryWorker` sends mail with the same backoff. Mail to one recipient leaves in
order: none is taken while an earlier one to the same address waits for a retry.

Exactly once, as far as SMTP allows. A taken mail is leased: no other worker takes it
meanwhile. The worker sends a batch one mail after another, so the n-th mail of a batch
is leased for n times `lease` (the longest one SMTP exchange may take): however slow the
server, a lease does not run out before the worker is done with its mail. On the
server's 250 the worker calls `delivered`, which marks the mail sent and blanks its link
or code in the same commit (`outbox.mail_sent`). SMTP has no idempotency key: a worker
that dies between the server's 250 and that commit cannot know the mail left, so once
the lease has run out the mail is sent again, as the same message (its Message-ID is
fixed at the first attempt), which mail clients and servers recognise as a duplicate.
That window is one round trip; nothing narrower exists without a server that
deduplicates.

A temporary failure (`failed`) schedules the next attempt with exponential backoff. A
permanent refusal (the worker reports `delivered(..., {"refused": reason})`, e.g. 550
unknown mailbox) marks the mail failed, never retried, blanks its secrets as well, tells
the member in every chat linked to the account, and lists it for staff (`failed_mails`).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import aliased

from bot.domain.models import OutboxEmail
from bot.domain.services.deliveries import notify_mail_failed
from bot.domain.services.outbox import Mail, mail_sent, scrub_secrets
from bot.domain.types import MailStatus
from bot.domain.unit_of_work import UnitOfWork
from bot.privacy.masking import mask_email, mask_emails

TARGET = "email"  # the delivery target a mail worker is made for
LEASE = timedelta(minutes=2)  # per mail: above one SMTP exchange with its timeouts
ERROR_LENGTH = 200
FAILED_SHOWN = 20
REFUSED = "[not delivered]"  # what a refused mail keeps of its link or code


@dataclass(frozen=True)
class MailDelivery(Mail):
    """One mail as the worker sends it, secrets included (in memory only)."""

    created_at: datetime
    message_id: str
    attempts: int
    target: str = TARGET
    escalation_id: int | None = None

    @property
    def conversation_key(self) -> str:
        """The worker's order key: mail to one recipient leaves in order."""
        return f"mail:{self.recipient}"


@dataclass(frozen=True)
class FailedMail:
    """A mail the server refused for good, as staff see it (the recipient masked)."""

    id: int
    kind: str
    recipient: str
    reason: str
    failed_at: datetime | None


def take_due(
    uow: UnitOfWork,
    targets: Iterable[str] = (TARGET,),
    *,
    limit: int = 50,
    key_prefix: str | None = None,
    lease: timedelta = LEASE,
) -> list[MailDelivery]:
    """Pending mail that is due, oldest first, leased to the caller: the n-th for n times
    `lease`, as the caller sends them one after another."""
    if TARGET not in targets:
        return []
    with uow:
        now = uow.clock.now()
        earlier = aliased(OutboxEmail)
        queue_head = ~exists().where(
            earlier.recipient == OutboxEmail.recipient,
            earlier.status == MailStatus.PENDING,
            earlier.id < OutboxEmail.id,
            or_(earlier.next_attempt_at > now, earlier.leased_until > now),
        )
        query = (
            select(OutboxEmail)
            .where(
                OutboxEmail.status == MailStatus.PENDING,
                or_(OutboxEmail.next_attempt_at.is_(None), OutboxEmail.next_attempt_at <= now),
                or_(OutboxEmail.leased_until.is_(None), OutboxEmail.leased_until <= now),
                queue_head,
            )
            .order_by(OutboxEmail.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        rows = list(uow.session.scalars(query).all())
        for place, row in enumerate(rows, 1):
            row.leased_until = now + lease * place
            row.message_id = row.message_id or _message_id(row)
        taken = [_delivery(row) for row in rows]
        uow.commit()
        return taken


def delivered(uow: UnitOfWork, mail_id: int, result: dict[str, Any] | None = None) -> None:
    """The server answered for good: accepted (sent, secrets blanked in this same commit)
    or, with `{"refused": reason}`, refused (failed, member and staff told)."""
    with uow:
        row = _locked(uow, mail_id)
        if row is None or row.status is not MailStatus.PENDING:
            return  # erased meanwhile (/forget), or settled by another worker
        now = uow.clock.now()
        refused = (result or {}).get("refused")
        if refused is None:
            mail_sent(row, now)
        else:
            _refused(uow, row, str(refused), now)
        uow.commit()


def failed(
    uow: UnitOfWork,
    mail_id: int,
    error: str,
    *,
    retry_after: float | None = None,
    backoff: float = 1.0,
    backoff_max: float = 300.0,
) -> datetime:
    """Not sent this time: the next attempt with exponential backoff (or `retry_after`)."""
    with uow:
        row = _locked(uow, mail_id)
        now = uow.clock.now()
        if row is None:  # erased meanwhile (/forget, member erase): nothing to retry
            return now
        delay = max(retry_after or 0.0, min(backoff * 2 ** min(row.attempts, 32), backoff_max))
        row.attempts += 1
        row.next_attempt_at = now + timedelta(seconds=delay)
        row.leased_until = None
        row.last_error = mask_emails(error)[:ERROR_LENGTH]
        uow.commit()
        return row.next_attempt_at


def failed_mails(uow: UnitOfWork, limit: int = FAILED_SHOWN) -> list[FailedMail]:
    """Mail refused for good, newest first: staff reach the member another way."""
    with uow:
        query = select(OutboxEmail).where(OutboxEmail.status == MailStatus.FAILED)
        rows = uow.session.scalars(query.order_by(OutboxEmail.id.desc()).limit(limit)).all()
        return [
            FailedMail(r.id, r.kind, mask_email(r.recipient), r.last_error or "", r.failed_at)
            for r in rows
        ]


def pending(uow: UnitOfWork) -> int:
    """How many mails still wait to be sent (for health checks and tests)."""
    with uow:
        query = select(func.count()).select_from(OutboxEmail)
        return int(uow.session.scalar(query.where(OutboxEmail.status == MailStatus.PENDING)) or 0)


def _refused(uow: UnitOfWork, row: OutboxEmail, reason: str, now: datetime) -> None:
    row.status = MailStatus.FAILED
    row.failed_at = now
    row.leased_until = None
    row.last_error = mask_emails(reason)[:ERROR_LENGTH]
    row.template_data = scrub_secrets(row.kind, dict(row.template_data), REFUSED)
    notify_mail_failed(uow, row.id, row.kind, row.recipient, row.language)


def _message_id(row: OutboxEmail) -> str:
    domain = row.sender.rpartition("@")[2] or "localhost"
    return f"<cps-mail-{row.id}-{secrets.token_hex(8)}@{domain}>"


def _locked(uow: UnitOfWork, mail_id: int) -> OutboxEmail | None:
    return uow.repo.locked(select(OutboxEmail).where(OutboxEmail.id == mail_id))


def _delivery(row: OutboxEmail) -> MailDelivery:
    return MailDelivery(
        id=row.id,
        kind=row.kind,
        sender=row.sender,
        recipient=row.recipient,
        language=row.language,
        data=dict(row.template_data),
        created_at=row.created_at,
        message_id=row.message_id or "",
        attempts=row.attempts,
    )
