"""The e-mail outbox: mail is queued in the same transaction as the change it reports.

A mail's secrets (a password link with its token, a one-time code) are needed until the
mail is handed over for delivery, and never after: `mail_sent` marks the row sent and
replaces them by `SENT` in the same step, so reading the database later gives no usable
link or code. The taken `Mail` keeps them in memory for the caller to deliver.

`take_pending` is the console's way out (no SMTP server configured); with `smtp_host` set
the SMTP worker delivers the same rows through `mail_delivery`, retried and leased.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select

from bot.domain.models import OutboxEmail
from bot.domain.types import MailStatus
from bot.domain.unit_of_work import UnitOfWork

SENT = "[sent]"
# The template keys of each mail kind that hold a secret (every kind the services send is
# listed, with no secret for the last two). A kind not listed here is scrubbed of every
# key in DEFAULT_SECRET_KEYS: a new kind fails safe.
SECRET_KEYS: dict[str, frozenset[str]] = {
    "welcome": frozenset({"link"}),  # the first password link (R1)
    "password_set": frozenset({"link"}),
    "password_reset": frozenset({"link"}),
    "link_code": frozenset({"code"}),  # links a chat to the account
    "invoice": frozenset(),
    "invitation": frozenset(),
}
DEFAULT_SECRET_KEYS = frozenset({"link", "url", "token", "code"})


@dataclass(frozen=True)
class Mail:
    """A mail taken from the outbox, secrets included (in memory only)."""

    id: int
    kind: str
    sender: str
    recipient: str
    language: str
    data: dict[str, Any]


def secret_keys(kind: str) -> frozenset[str]:
    return SECRET_KEYS.get(kind, DEFAULT_SECRET_KEYS)


def scrub_secrets(kind: str, template_data: dict[str, Any], marker: str = SENT) -> dict[str, Any]:
    """A copy of `template_data` with the kind's secret values replaced by `marker`."""
    hidden = secret_keys(kind)
    return {key: marker if key in hidden else value for key, value in template_data.items()}


def mail_sent(row: OutboxEmail, now: datetime) -> None:
    """The row is marked sent and keeps no secret: call it wherever a mail leaves."""
    row.sent_at = now
    row.status = MailStatus.SENT
    row.leased_until = None
    row.template_data = scrub_secrets(row.kind, dict(row.template_data))


def take_pending(uow: UnitOfWork, recipient: str | None = None, limit: int = 50) -> list[Mail]:
    """Mail not yet delivered (oldest first), marked as sent: the caller delivers it."""
    with uow:
        now = uow.clock.now()
        query = select(OutboxEmail).where(
            OutboxEmail.status == MailStatus.PENDING,
            or_(OutboxEmail.leased_until.is_(None), OutboxEmail.leased_until <= now),
        )
        if recipient is not None:
            query = query.where(OutboxEmail.recipient == recipient)
        rows = uow.session.scalars(query.order_by(OutboxEmail.id).limit(limit)).all()
        taken = [
            Mail(r.id, r.kind, r.sender, r.recipient, r.language, dict(r.template_data))
            for r in rows
        ]
        for row in rows:
            mail_sent(row, now)
        uow.commit()
        return taken
