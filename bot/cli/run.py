"""`cps-bot run`: the Telegram channel, polling (default) or webhook, as settings say, and
the staff's Slack app, helpdesk and delivery workers beside it (see `bot.runtime`)."""

from __future__ import annotations

import datetime as dtm
import os

import typer

from bot.cli.context import fail, open_app
from bot.cli.redaction import (
    LOG_FORMAT_OPTION,
    RedactingFormatter,
    configure_logging,
    secrets_of,
    start_logging,
)
from bot.settings import Settings, SettingsError, load_settings

__all__ = ["RedactingFormatter", "app", "configure_logging", "secrets_of", "telegram_settings"]

app = typer.Typer(help="Run the bot on Telegram.")


@app.callback(invoke_without_command=True)
def run(
    mode: str | None = typer.Option(
        None, "--mode", help="polling or webhook (default: telegram_mode in config.yml)."
    ),
    log_format: str | None = LOG_FORMAT_OPTION,
) -> None:
    """Serves members on Telegram until stopped (Ctrl-C)."""
    settings = telegram_settings()
    mode = mode or settings.telegram_mode
    if mode not in ("polling", "webhook"):
        raise fail(f"--mode must be polling or webhook, not {mode!r}", 2)
    start_logging(settings, log_format)

    from telegram.ext import ApplicationBuilder

    from bot.handlers.slack import SlackConfigError
    from bot.handlers.telegram import ALLOWED_UPDATES
    from bot.runtime import build_bot
    from bot.staff_side import serve_routes

    if mode == "webhook":
        _serve_webhook(settings)
        return
    # A second connection for getUpdates lets the last poll confirm the offset at shutdown
    # while the long poll still holds the first: stopping is then instant.
    builder = ApplicationBuilder().get_updates_connection_pool_size(2)
    try:
        application = build_bot(builder, settings)
    except SlackConfigError as exc:
        raise fail(str(exc), 2) from None
    serve_routes(application.runtime)
    application.run_polling(
        allowed_updates=ALLOWED_UPDATES,
        timeout=dtm.timedelta(seconds=settings.telegram_poll_timeout_seconds),
    )


def telegram_settings() -> Settings:
    """The settings of a process serving Telegram (`run`, `worker`), after the checks that
    stop it at once with one line: settings valid, the token set, the schema current."""
    os.environ.setdefault("PTB_TIMEDELTA", "1")  # PTB 22: durations as timedelta, no warnings
    try:
        settings = load_settings()
    except SettingsError as exc:
        raise fail(str(exc), 2) from None
    token = settings.telegram_token.get_secret_value() if settings.telegram_token else ""
    if not token.strip():
        raise fail("CPS_TELEGRAM_TOKEN is not set: export the token @BotFather gave the bot", 2)
    with open_app():  # the database is there, with the current schema
        pass
    return settings


def _serve_webhook(settings: Settings) -> None:
    import uvicorn
    from telegram.ext import ApplicationBuilder

    from bot.handlers.slack import SlackConfigError
    from bot.handlers.webhook import WebhookConfigError, build_webhook_app, check_settings
    from bot.runtime import build_bot

    try:
        check_settings(settings)
        application = build_bot(ApplicationBuilder().updater(None), settings)
    except (WebhookConfigError, SlackConfigError) as exc:
        raise fail(str(exc), 2) from None
    asgi = build_webhook_app(application, settings)
    uvicorn.run(
        asgi,
        host=settings.telegram_listen_host,
        port=settings.telegram_listen_port,
        log_config=None,  # our logging, with secrets redacted
        proxy_headers=True,
    )
