"""Mail out by SMTP (aiosmtplib): `SmtpMailer.send` is the `send` of the mail DeliveryWorker.

Each mail is rendered (`mail_render`: subject, plain text and HTML as multipart/alternative,
in the member's language) and handed to `smtp_host` over its own connection: STARTTLS
before anything else is said (`starttls`, refused when the server does not offer it),
TLS from the first byte (`tls`) or plain (`none`); a login with `smtp_username` and
CPS_SMTP_PASSWORD when a username is set. Headers: From "Canon Professional Services"
<mail_sender>, To, Subject, Date (when the mail was queued), Message-ID (fixed per outbox
row, so a mail sent again after a crash is recognisably the same message),
Auto-Submitted: auto-generated.

What the server answers decides what happens to the mail:
- 250: sent (`{"message_id", "response"}`); the outbox marks it sent and blanks its secrets.
- A permanent refusal of this mail (5xx to its recipient or its content, e.g. 550 unknown
  mailbox): `{"refused": reason}`, and the outbox marks it failed, never retried.
- A temporary one (4xx), a refused connection, a timeout, a dropped connection:
  `RetryLater`, retried with the worker's backoff.
- A 5xx about our own session (login, sender, greeting, missing STARTTLS) is a setting to
  fix, not the member's address: retried too, and logged as an error, so one mistake in
  config.yml never marks every member's mail failed.
Reasons are the server's words with e-mail addresses masked; secrets are never logged.
Each answer counts in `cps_emails_total{outcome}`: sent, failed (for good) or retried.
"""

from __future__ import annotations

import logging
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import TYPE_CHECKING, Any, Protocol

import aiosmtplib
from aiosmtplib import (
    SMTPDataError,
    SMTPException,
    SMTPRecipientRefused,
    SMTPRecipientsRefused,
    SMTPResponseException,
)
from pydantic import SecretStr

from bot.handlers.delivery import RetryLater
from bot.handlers.mail_render import MailRenderer
from bot.observability.metrics import EMAILS
from bot.privacy.masking import mask_emails

if TYPE_CHECKING:
    from bot.settings import Settings

log = logging.getLogger(__name__)
DISPLAY_NAME = "Canon Professional Services"
REASON_LENGTH = 200


class OutboxMail(Protocol):
    """What the mailer reads of a taken mail (bot.domain.services.mail_delivery.MailDelivery)."""

    @property
    def id(self) -> int: ...
    @property
    def kind(self) -> str: ...
    @property
    def sender(self) -> str: ...
    @property
    def recipient(self) -> str: ...
    @property
    def language(self) -> str: ...
    @property
    def data(self) -> dict[str, Any]: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def message_id(self) -> str: ...


@dataclass
class MailCounts:
    """What the mailer did since it was made: `cps-bot mail deliver` prints it."""

    sent: int = 0
    retried: int = 0
    failed: int = 0


class SmtpMailer:
    def __init__(
        self,
        host: str,
        port: int = 587,
        *,
        security: str = "starttls",
        username: str = "",
        password: SecretStr | None = None,
        timeout: float = 10.0,
        renderer: MailRenderer | None = None,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        if security not in ("starttls", "tls", "none"):
            raise ValueError(f"smtp_security must be starttls, tls or none, not {security!r}")
        self.host, self.port, self.security = host, port, security
        self.username, self._password = username, password
        self.timeout = timeout
        self.renderer = renderer or MailRenderer()
        self.tls_context = tls_context  # None: the system's trusted authorities
        self.counts = MailCounts()
        if username and security == "none":
            log.warning("smtp_username is set with smtp_security none: the login is not encrypted")

    @classmethod
    def from_settings(
        cls, settings: Settings, *, tls_context: ssl.SSLContext | None = None
    ) -> SmtpMailer:
        return cls(
            settings.smtp_host,
            settings.smtp_port,
            security=settings.smtp_security,
            username=settings.smtp_username,
            password=settings.smtp_password,
            timeout=settings.smtp_timeout_seconds,
            tls_context=tls_context,
        )

    def compose(self, mail: OutboxMail) -> EmailMessage:
        """The message as the member's mail client shows it."""
        rendered = self.renderer.render(mail.kind, mail.language, mail.sender, mail.data)
        message = EmailMessage()
        domain = mail.sender.rpartition("@")[2]
        message["From"] = Address(DISPLAY_NAME, addr_spec=mail.sender)
        message["To"] = mail.recipient
        message["Subject"] = rendered.subject
        message["Date"] = format_datetime(mail.created_at)
        message["Message-ID"] = mail.message_id or make_msgid("cps-mail", domain=domain)
        message["Auto-Submitted"] = "auto-generated"
        message.set_content(rendered.text)
        message.add_alternative(rendered.html, subtype="html")
        message["Content-Language"] = mail.language  # after the parts: they reset Content-*
        return message

    async def send(self, mail: OutboxMail) -> dict[str, Any]:
        """Hand one mail to the server: what it answered (see the module's docstring)."""
        try:
            result = await self._submit(mail)
        except Exception:
            self.counts.retried += 1
            EMAILS.labels(outcome="retried").inc()
            raise
        if "refused" in result:
            self.counts.failed += 1
            EMAILS.labels(outcome="failed").inc()
        else:
            self.counts.sent += 1
            EMAILS.labels(outcome="sent").inc()
        return result

    async def _submit(self, mail: OutboxMail) -> dict[str, Any]:
        message = self.compose(mail)
        password = self._password.get_secret_value() if self._password else None
        try:
            _, response = await aiosmtplib.send(
                message,
                sender=mail.sender,
                recipients=[mail.recipient],
                hostname=self.host,
                port=self.port,
                username=self.username or None,
                password=password if self.username else None,
                timeout=self.timeout,
                use_tls=self.security == "tls",
                start_tls=self.security == "starttls",
                tls_context=self.tls_context,
            )
        except SMTPRecipientsRefused as exc:  # our only recipient was refused
            return _about_the_mail(mail, exc.recipients[0])
        except (SMTPRecipientRefused, SMTPDataError) as exc:
            return _about_the_mail(mail, exc)
        except SMTPResponseException as exc:  # the login, the sender, the greeting
            reason = _reason(exc)
            log.error("mail: the SMTP server refused the session (%s): check smtp_*", reason)
            raise RetryLater(reason) from exc
        except (SMTPException, OSError) as exc:  # refused, timed out, dropped, no STARTTLS
            raise RetryLater(type(exc).__name__) from exc
        return {"message_id": str(message["Message-ID"]), "response": response[:REASON_LENGTH]}


def _about_the_mail(mail: OutboxMail, exc: SMTPResponseException) -> dict[str, Any]:
    """A refusal of this mail: for good on a 5xx, else try again later."""
    reason = _reason(exc)
    if exc.code < 500:
        raise RetryLater(reason) from exc
    log.warning("mail %s (%s) refused for good: %s", mail.id, mail.kind, reason)
    return {"refused": reason}


def _reason(exc: SMTPResponseException) -> str:
    return mask_emails(f"SMTP {exc.code} {exc.message}".strip())[:REASON_LENGTH]
