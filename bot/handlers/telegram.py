"""The Telegram channel (python-telegram-bot 22): `build_application` is its one factory.

    application = build_application(ApplicationBuilder(), load_settings())
    application.run_polling(allowed_updates=ALLOWED_UPDATES)     # or bot.handlers.webhook

The module layout: `telegram_updates` turns updates into Turns and Replies into messages,
`telegram_render` renders them (split texts, inline keyboards), `telegram_reliability` holds
the delivery guarantees (each update once, one chat in order, retries).
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from telegram import BotCommand, BotCommandScopeAllPrivateChats, Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.bootstrap import bootstrap, build_dialogue
from bot.flows.engine import DialogueEngine
from bot.flows.i18n import default_catalogs
from bot.flows.notices import MEMBER, OUTBOX
from bot.handlers.delivery import DeliveryWorker
from bot.handlers.telegram_reliability import PerChatOrder, RetryingRateLimiter
from bot.handlers.telegram_updates import CHANNEL, COMMAND_PAYLOADS, TelegramChannel
from bot.nlu.factory import build_parser
from bot.settings import Settings

log = logging.getLogger(__name__)

ALLOWED_UPDATES = [Update.MESSAGE, Update.EDITED_MESSAGE, Update.CALLBACK_QUERY]
COMMANDS = ("start", "help", "cancel", "language", "human", "forget")
COMMAND_LANGUAGES = ("it", "en")


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

    Without `engine` it builds the dialogue engine from `settings` (database, NLU) and owns
    it; a test may pass its own engine instead, which it then closes itself.
    """
    closers: list[Callable[[], Awaitable[None] | None]] = []
    if engine is None:
        bot_app = bootstrap(settings)
        parser = build_parser(settings)
        engine = build_dialogue(bot_app, parser)
        closers += [parser.aclose, bot_app.close]
    channel = TelegramChannel(
        engine,
        default_catalogs(),
        tuple(lang for lang in settings.supported_languages if lang in engine.languages)
        or engine.languages,
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
    builder.application_class(ChannelApplication, {"channel": channel, "closers": closers})
    application = builder.build()
    _add_handlers(application, channel)
    services = getattr(engine, "services", None)  # a test's stand-in engine may have none
    if services is None:
        return application
    application.notices = DeliveryWorker.from_settings(
        settings,
        services.uow,
        [MEMBER],
        lambda delivery: channel.deliver_notice(application.bot, delivery),
        outbox=OUTBOX,
        name="telegram-notices",
        key_prefix=f"{CHANNEL}:",
    )
    application.companions.append(application.notices)
    return application


class Companion(Protocol):
    """Something that runs beside the bot while it runs (a delivery worker, the staff app)."""

    def start(self) -> object: ...
    async def stop(self) -> None: ...


class ChannelApplication(Application):  # type: ignore[misc]
    """An Application that sets the bot's commands when initialised, runs its companions
    (the worker delivering messages no turn asked for, and what `bot.runtime` adds) while
    started, and closes the engine it owns when shut down, however it is driven
    (run_polling, the webhook app, a test)."""

    def __init__(
        self,
        *,
        channel: TelegramChannel,
        closers: list[Callable[[], Awaitable[None] | None]],
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.channel = channel
        self.closers = closers
        self.companions: list[Companion] = []
        self.notices: DeliveryWorker | None = None

    async def initialize(self) -> None:
        if self._initialized:
            return
        await super().initialize()
        await publish_commands(self, self.channel)

    async def start(self) -> None:
        await super().start()
        for companion in self.companions:
            result = companion.start()
            if inspect.iscoroutine(result):  # a worker returns its running task: not awaited
                await result

    async def stop(self) -> None:
        for companion in reversed(self.companions):
            await companion.stop()
        await super().stop()

    async def shutdown(self) -> None:
        if not self._initialized:
            return
        await super().shutdown()
        for close in self.closers:
            result = close()
            if result is not None:
                await result
        self.closers = []


async def publish_commands(application: Application, channel: TelegramChannel) -> None:
    """setMyCommands for private chats: one list per language, the default one without code."""
    render = channel.render
    for language in (None, *COMMAND_LANGUAGES):
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
    application.add_handler(TypeHandler(Update, channel.drop_duplicates), group=-1)
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
