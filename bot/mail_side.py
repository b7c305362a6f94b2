"""E-mail beside the channels: the SMTP mailer and its delivery worker, when `smtp_host` is set.

This is where the domain's mail outbox (bot/domain/services/mail_delivery.py) is handed to
the SMTP adapter (handlers never import domain services). `add_mail(runtime)` gives the
running bot a worker that sends mail continuously; `deliver_due(...)` is one pass for
`cps-bot mail deliver`. Without `smtp_host` nothing is added: mail stays in the outbox and
the console chat prints it.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from bot.domain.services import mail_delivery
from bot.handlers.delivery import DeliveryWorker, RetryLater
from bot.handlers.mail import MailCounts, SmtpMailer
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.runtime import Runtime

MAIL_BATCH = 10  # mails a round: the last one of a batch is leased for ten exchanges
SMTP_STEPS = 10  # connect, greeting, EHLO, STARTTLS, EHLO, AUTH, MAIL, RCPT, DATA, end


def add_mail(runtime: Runtime) -> DeliveryWorker | None:
    """The mail worker, started and stopped with the channels; None without `smtp_host`."""
    settings = runtime.settings
    if not settings.smtp_host:
        return None
    mailer = SmtpMailer.from_settings(settings)
    worker = mail_worker(settings, runtime.engine.services.uow, mailer.send)
    runtime.add(worker)
    return worker


def mail_worker(
    settings: Settings, uow_factory: Callable[[], Any], send: Callable[[Any], Any]
) -> DeliveryWorker:
    """A worker sending the mail outbox through `send` (`SmtpMailer.send`), with the
    `delivery_*` backoff, MAIL_BATCH mails a round."""
    worker = DeliveryWorker.from_settings(
        settings,
        uow_factory,
        [mail_delivery.TARGET],
        send,
        outbox=LeasedMailOutbox(lease_per_mail(settings)),
        name="mail",
    )
    worker.batch = MAIL_BATCH
    worker.count_failures = False  # the mailer counts sent, retried, failed (cps_emails_total)
    return worker


def lease_per_mail(settings: Settings) -> timedelta:
    """Longer than one SMTP exchange can take: each of its steps may wait the timeout."""
    bound = timedelta(seconds=SMTP_STEPS * settings.smtp_timeout_seconds + 20)
    return max(mail_delivery.LEASE, bound)


@dataclass(frozen=True)
class LeasedMailOutbox:
    """The mail outbox's operations, its lease fitted to `smtp_timeout_seconds`."""

    lease: timedelta

    def take_due(
        self, uow: Any, targets: Collection[str], *, limit: int = 50, key_prefix: str | None = None
    ) -> list[mail_delivery.MailDelivery]:
        return mail_delivery.take_due(uow, targets, limit=limit, lease=self.lease)

    delivered = staticmethod(mail_delivery.delivered)
    failed = staticmethod(mail_delivery.failed)


async def deliver_due(
    settings: Settings,
    uow_factory: Callable[[], Any],
    *,
    tls_context: ssl.SSLContext | None = None,
) -> MailCounts:
    """Every mail due now, tried once: batch after batch until one is not full. A mail
    that comes due again within the pass (its backoff ran out meanwhile) is left for the
    next pass, so the pass ends even while the server is down."""
    mailer = SmtpMailer.from_settings(settings, tls_context=tls_context)
    tried: set[int] = set()

    async def once(mail: Any) -> dict[str, Any]:
        if mail.id in tried:
            raise RetryLater("tried once in this pass already")
        tried.add(mail.id)
        return await mailer.send(mail)

    worker = mail_worker(settings, uow_factory, once)
    while True:
        before = len(tried)
        await worker.run_once()
        if len(tried) - before < worker.batch:
            return mailer.counts
