"""The composition root: one dialogue engine, the channels built side by side on it, and
what runs beside them.

    runtime = Runtime.from_settings(settings)      # the engine: database, NLU, flows
    runtime.add_staff()                            # Slack and the helpdesk, as settings ask
    application = runtime.telegram(builder)        # the members' Telegram bot
    console = runtime.console("emma", print)       # or the console chat

Every channel is a peer on the same engine and the same durable path: its inbound adapter
stores each event in the inbox and hands it to the engine as a Turn; its outbound side
delivers the outbox's rows to its API, rendered in the member's language. A channel does
not build the engine, the database or another channel: the runtime does, once, and
starts and stops what runs beside them (delivery workers, inbox sweeps, the staff side,
the mail worker when `smtp_host` is set, the hourly retention purge) with the first
channel that starts.

`wake(conversation_key)` is how one side tells another that something waits for a
member: a staff reply queued in Slack wakes the Telegram worker of that chat.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Protocol

from starlette.routing import BaseRoute

from bot.bootstrap import bootstrap, build_dialogue
from bot.domain.services import privacy
from bot.domain.services.invoice_reminders import remind_invoices_due
from bot.flows.engine import DialogueEngine
from bot.flows.i18n import Catalogs, default_catalogs
from bot.periodic import Periodic
from bot.settings import Settings

if TYPE_CHECKING:
    from telegram.ext import Application, ApplicationBuilder

    from bot.handlers.console import ConsoleChat

log = logging.getLogger(__name__)
PURGE_EVERY_SECONDS = 3600.0  # retention (`privacy.purge`) in the running process
INVOICE_CHECK_SECONDS = 3600.0  # bank transfers due soon, told to the member once


class Companion(Protocol):
    """Something that runs beside the channels while they run (a worker, a sweep)."""

    def start(self) -> object: ...
    async def stop(self) -> None: ...


class Waker(Protocol):
    def wake(self) -> None: ...


class Runtime:
    def __init__(
        self,
        settings: Settings,
        engine: DialogueEngine,
        *,
        closers: list[Callable[[], Awaitable[None] | None]] | None = None,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.catalogs: Catalogs = default_catalogs()
        self.routes: list[BaseRoute] = []  # HTTP routes the channels' listeners serve
        self.companions: list[Companion] = []
        self._outbound: dict[str, Waker] = {}  # channel -> the worker delivering to it
        self._closers = closers or []
        self._running = False
        self.add(PeriodicPurge(engine))
        self.add(InvoiceReminders(engine))
        self.add_mail()

    @classmethod
    def from_settings(cls, settings: Settings, *, engine: DialogueEngine | None = None) -> Runtime:
        """The runtime on the engine `settings` describe (database, NLU), which it owns and
        closes; or on a given engine (a test's), which its owner closes."""
        if engine is not None:
            return cls(settings, engine)
        from bot.nlu.factory import build_parser

        app = bootstrap(settings)
        parser = build_parser(settings)
        built = build_dialogue(app, parser)
        closers: list[Callable[[], Awaitable[None] | None]] = [parser.aclose, built.seam.close]
        if app.engine.dialect.name == "postgresql":  # the inbox's write, off the loop
            from bot.domain.driver_async import AsyncDurableWriter

            built.pipeline.writer = writer = AsyncDurableWriter(app.engine)
            closers.append(writer.close)
        return cls(settings, built, closers=[*closers, app.close])

    @property
    def languages(self) -> tuple[str, ...]:
        """The languages members are served in: those configured that the engine speaks."""
        wanted = self.settings.supported_languages
        return tuple(lang for lang in wanted if lang in self.engine.languages) or tuple(
            self.engine.languages
        )

    # -- the channels ----------------------------------------------------------------
    def telegram(self, builder: ApplicationBuilder) -> Application:
        """The members' Telegram bot on `builder` (see `bot.handlers.telegram`)."""
        from bot.handlers.telegram import telegram_application

        return telegram_application(self, builder)

    def console(self, chat_id: str, write: Callable[[str], None]) -> ConsoleChat:
        """A member's chat in the terminal."""
        from bot.handlers.console import ConsoleChat

        return ConsoleChat(self.engine, self.catalogs, chat_id, write)

    def add_mail(self) -> None:
        """The SMTP worker sending the mail outbox, when `smtp_host` is set (else the
        console prints mail): every process serving members sends mail, one mail never
        by two at once (see `bot.mail_side`)."""
        if not self.settings.smtp_host:
            return
        from bot.mail_side import add_mail

        add_mail(self)

    def add_staff(self) -> None:
        """Slack (http or socket mode) and the helpdesk, as settings ask; raises
        SlackConfigError naming a missing setting."""
        from bot.staff_side import add_staff

        add_staff(self)

    # -- what channels share ---------------------------------------------------------
    def delivers_to(self, channel: str, worker: Waker) -> None:
        """`worker` delivers the messages queued for members of `channel`."""
        self._outbound[channel] = worker

    def wake(self, conversation_key: str | None) -> None:
        """Something was queued for this chat: its channel's worker delivers it now."""
        channel = (conversation_key or "").partition(":")[0]
        worker = self._outbound.get(channel)
        if worker is not None:
            worker.wake()

    def add(self, companion: Companion) -> None:
        self.companions.append(companion)

    def on_close(self, close: Callable[[], Awaitable[None] | None]) -> None:
        self._closers.append(close)

    # -- life cycle ------------------------------------------------------------------
    async def start(self) -> None:
        """Starts every companion once, however many channels start."""
        if self._running:
            return
        self._running = True
        for companion in self.companions:
            result = companion.start()
            if inspect.iscoroutine(result):  # a worker returns its running task: not awaited
                await result

    async def stop(self) -> None:
        if not self._running:
            return
        self._running = False
        for companion in reversed(self.companions):
            await companion.stop()

    async def close(self) -> None:
        """Closes what the runtime built (NLU client, threads, database pools)."""
        await self.stop()
        closers, self._closers = self._closers, []
        for close in closers:
            result = close()
            if result is not None:
                await result


class PeriodicPurge(Periodic):
    """Retention while the bot runs: `privacy.purge` (`retention_days`,
    `mail_retention_days`) when the channels start, then every `seconds`, off the event
    loop."""

    name = "privacy-purge"

    def __init__(self, engine: DialogueEngine, seconds: float = PURGE_EVERY_SECONDS) -> None:
        super().__init__(seconds)
        self.engine = engine

    def purge_once(self) -> dict[str, int]:
        return privacy.purge_now(self.engine.services.uow())

    async def round(self, first: bool) -> None:
        counts = await asyncio.to_thread(self.purge_once)
        if any(counts.values()):
            log.info("retention purge: %s", ", ".join(f"{t} {n}" for t, n in counts.items()))


class InvoiceReminders(Periodic):
    """Bank-transfer invoices due in a few days: their member's chats told once, when the
    channels start and then every `seconds` (any process may run it: the rows are locked
    and marked in the transaction that queues the messages)."""

    name = "invoice-reminders"

    def __init__(self, engine: DialogueEngine, seconds: float = INVOICE_CHECK_SECONDS) -> None:
        super().__init__(seconds)
        self.engine = engine

    async def round(self, first: bool) -> None:
        told = await asyncio.to_thread(remind_invoices_due, self.engine.services.uow())
        if told:
            log.info("reminded %d invoice(s) due soon", len(told))


def build_bot(builder: ApplicationBuilder, settings: Settings) -> Application:
    """The Telegram application with the staff side beside it, as settings ask (the staff
    routes are on `application.runtime.routes`). A missing Slack setting raises
    SlackConfigError before anything is built."""
    from bot.staff_side import check_staff_settings

    check_staff_settings(settings)
    runtime = Runtime.from_settings(settings)
    runtime.add_staff()
    return runtime.telegram(builder)
