"""The Telegram channel (python-telegram-bot 22): `build_application` is its one factory.

    application = build_application(ApplicationBuilder(), load_settings())
    application.run_polling(allowed_updates=ALLOWED_UPDATES)     # or bot.handlers.webhook

The module layout: `telegram_intake` stores updates in the inbox before Telegram is told
they arrived (polling, webhook), `telegram_updates` turns updates into Turns for the
engine, `telegram_outbound` sends the outbox's replies and notices, `telegram_render`
renders them (split texts, inline keyboards), `telegram_reliability` holds one chat in
order and the retries that respect Telegram.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from telegram import BotCommand, BotCommandScopeAllPrivateChats, Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    Updater,
    filters,
)

from bot.flows.engine import DialogueEngine
from bot.flows.notices import MEMBER, OUTBOX
from bot.handlers.delivery import DeliveryWorker
from bot.handlers.inbox_sweep import InboxSweep
from bot.handlers.telegram_intake import DurablePolling, TelegramIntake
from bot.handlers.telegram_reliability import PerChatOrder, RetryingRateLimiter
from bot.handlers.telegram_updates import CHANNEL, COMMAND_PAYLOADS, TelegramChannel
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger(__name__)

ALLOWED_UPDATES = [Update.MESSAGE, Update.EDITED_MESSAGE, Update.CALLBACK_QUERY]
COMMANDS = ("start", "help", "cancel", "language", "human", "forget")


def build_application(
    builder: ApplicationBuilder, settings: Settings, *, engine: DialogueEngine | None = None
) -> Application:
    """The complete Telegram bot, built on `builder`.

    The builder may come with its own request layer (`request`, `get_updates_request`, pool
    sizes, timeouts) or base URL; this factory adds the token (`CPS_TELEGRAM_TOKEN`), the base
    URL when `telegram_base_url` is set, the rate limiter (429 and 5xx retries), the update
    processor (chats concurrently, each chat in order), the handlers and the application
    class that publishes the commands on `initialize()` and closes what it opened on
    `shutdown()`.

    Without `engine` the runtime (`bot.runtime`) builds the dialogue engine from `settings`
    (database, NLU) and the application closes it; a test may pass its own engine instead,
    which it then closes itself.
    """
    from bot.runtime import Runtime

    return Runtime.from_settings(settings, engine=engine).telegram(builder)


def telegram_application(runtime: Runtime, builder: ApplicationBuilder) -> Application:
    """The Telegram channel on the runtime's engine: its inbound side (polling or the
    webhook into the inbox, updates to Turns) and its outbound worker (the outbox's
    replies and notices to the Bot API), registered with the runtime."""
    settings, engine = runtime.settings, runtime.engine
    channel = TelegramChannel(
        engine,
        runtime.catalogs,
        runtime.languages,
        settings.default_language,
        settings.telegram_typing_after_seconds,
    )
    if settings.telegram_token is not None:
        builder.token(settings.telegram_token.get_secret_value())
    if settings.telegram_base_url:
        base = settings.telegram_base_url.rstrip("/")
        builder.base_url(base)
        if base.endswith("/bot"):
            builder.base_file_url(base.removesuffix("/bot") + "/file/bot")
    builder.rate_limiter(
        RetryingRateLimiter(
            settings.telegram_rate_limit_per_second,
            settings.telegram_max_retries,
            settings.telegram_retry_backoff_seconds,
        )
    )
    builder.concurrent_updates(PerChatOrder(settings.telegram_concurrent_updates))
    builder.application_class(
        ChannelApplication,
        {
            "runtime": runtime,
            "channel": channel,
            "intake": TelegramIntake(engine.pipeline, engine.seam),
        },
    )
    application = builder.build()
    _add_handlers(application, channel)
    notices = DeliveryWorker.from_settings(
        settings,
        engine.services.uow,
        [MEMBER],
        lambda delivery: channel.outbound.deliver(application.bot, delivery),
        outbox=OUTBOX,
        name="telegram-delivery",
        key_prefix=f"{CHANNEL}:",
    )
    channel.outbound.worker = notices
    runtime.delivers_to(CHANNEL, notices)
    runtime.add(notices)
    runtime.add(InboxSweeper(application, settings.inbox_retry_seconds))
    return application


class InboxSweeper(InboxSweep):
    """Hands the application the stored updates nobody is handling: at start, what a
    stopped or killed process left; then, every `seconds`, what failed and waits for
    another attempt, or what another process left behind."""

    def __init__(self, application: ChannelApplication, seconds: float) -> None:
        super().__init__(seconds)
        self.application = application

    def first_older_than(self) -> float:
        # Polling (the bot's only process) at start: everything stored and not handled is
        # left over. Beside other processes (webhook, worker) only what waited a while is.
        return 0.0 if self.application.updater is not None else self.seconds

    async def sweep(self, older_than: float) -> int:
        application = self.application
        events = application.channel.pipeline.pending([CHANNEL], older_than=older_than)
        handed = 0
        for event in events:
            if (
                event.payload is None
                or event.seq in application.in_flight
                or event.seq in application.intake.waiting
            ):
                continue
            try:
                update = Update.de_json(event.payload, application.bot)
            except Exception as exc:  # stored by another version, say: set it aside
                application.channel.pipeline.turn_failed(
                    CHANNEL, event.event_id, f"unparseable: {type(exc).__name__}"
                )
                continue
            await application.update_queue.put(update)
            handed += 1
        if handed:
            log.info("inbox: %d stored update(s) handed on", handed)
        return handed


class ChannelApplication(Application):  # type: ignore[misc]
    """An Application that sets the bot's commands when initialised, passes every update
    through the inbox, starts and stops the runtime's companions with itself, and closes
    the runtime when shut down, however it is driven (run_polling, the webhook app, a
    test)."""

    def __init__(
        self,
        *,
        runtime: Runtime,
        channel: TelegramChannel,
        intake: TelegramIntake,
        **kwargs: Any,
    ) -> None:
        updater = kwargs.get("updater")
        if updater is not None and not isinstance(updater.bot, DurablePolling):
            # Polling stores what it fetched before the next offset confirms it.
            kwargs["updater"] = Updater(DurablePolling(updater.bot, intake), updater.update_queue)
        super().__init__(**kwargs)
        self.runtime = runtime
        self.channel = channel
        self.intake = intake
        self.in_flight: set[int] = set()

    async def process_update(self, update: object) -> None:
        """Every update passes the inbox first: stored if new, dropped if handled before."""
        if not isinstance(update, Update):
            await super().process_update(update)
            return
        if update.update_id in self.in_flight or not self.intake.admit(update):
            log.info("update %s handled before: dropped", update.update_id)
            return
        self.in_flight.add(update.update_id)
        try:
            await super().process_update(update)
            self.channel.settle(update)
        finally:
            self.in_flight.discard(update.update_id)

    async def initialize(self) -> None:
        if self._initialized:
            return
        await super().initialize()
        await publish_commands(self, self.channel)

    async def start(self) -> None:
        await super().start()
        if self.updater is not None:  # polling: this is the bot's only process
            released = self.channel.pipeline.release_leases(f"{CHANNEL}:")
            if released:
                log.info("%d message(s) a stopped process had not sent go out now", released)
        await self.runtime.start()

    async def stop(self) -> None:
        await self.runtime.stop()
        await super().stop()
        self.channel.pipeline.flush_marks()  # replies sent in the last instant, recorded

    async def shutdown(self) -> None:
        if not self._initialized:
            return
        await super().shutdown()
        await self.runtime.close()


async def publish_commands(application: Application, channel: TelegramChannel) -> None:
    """setMyCommands for private chats: one list per language members are served in (for
    a Telegram app in that language), and the default language's for every other app."""
    render = channel.render
    for language in (None, *channel.languages):
        texts = language or channel.default_language
        commands = [BotCommand(c, render.text(texts, f"telegram.command.{c}")) for c in COMMANDS]
        try:
            await application.bot.set_my_commands(
                commands, scope=BotCommandScopeAllPrivateChats(), language_code=language
            )
        except TelegramError as exc:  # the bot works without its command menu
            log.warning("could not set the commands (%s): %s", language or "default", exc)


def _add_handlers(application: Application, channel: TelegramChannel) -> None:
    private = filters.ChatType.PRIVATE
    new_message = filters.UpdateType.MESSAGE
    application.add_handlers(
        [
            MessageHandler(~private & new_message, channel.not_private),
            MessageHandler(private & filters.UpdateType.EDITED_MESSAGE, channel.edited),
            CommandHandler("forget", channel.forget, filters=private & new_message),
            CommandHandler(
                ["start", "language", *COMMAND_PAYLOADS],
                channel.command,
                filters=private & new_message,
            ),
            MessageHandler(private & new_message & filters.COMMAND, channel.unknown_command),
            MessageHandler(private & new_message & filters.TEXT, channel.text),
            MessageHandler(private & new_message, channel.not_text),
            CallbackQueryHandler(channel.button),
        ]
    )
    application.add_error_handler(channel.on_error)
