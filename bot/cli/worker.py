"""`cps-bot worker`: a process that handles turns and sends deliveries, with no listener.

Beside `cps-bot run --mode webhook` processes on one PostgreSQL: the listeners store what
Telegram posts and handle it at once; a worker takes what was stored and is still not
handled after `inbox_retry_seconds` (a listener killed mid-turn, a turn that failed), and
sends what waits in the outbox (replies held back by a 429 storm, notices, Slack cards and
helpdesk tickets as configured). It neither polls Telegram nor serves HTTP.
"""

from __future__ import annotations

import asyncio
import signal

import typer

from bot.cli.context import fail
from bot.cli.redaction import LOG_FORMAT_OPTION, start_logging
from bot.cli.run import telegram_settings

app = typer.Typer(help="Handle stored turns and send deliveries, without a listener.")


@app.callback(invoke_without_command=True)
def worker(log_format: str | None = LOG_FORMAT_OPTION) -> None:
    """Runs until stopped (Ctrl-C, SIGTERM)."""
    settings = telegram_settings()
    start_logging(settings, log_format)

    from telegram.ext import ApplicationBuilder

    from bot.handlers.slack import SlackConfigError
    from bot.runtime import build_bot

    try:
        application = build_bot(ApplicationBuilder().updater(None), settings)
    except SlackConfigError as exc:
        raise fail(str(exc), 2) from None
    asyncio.run(_serve(application))


async def _serve(application) -> None:  # type: ignore[no-untyped-def]
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    await application.initialize()
    await application.start()  # the inbox sweep and the delivery workers
    try:
        await stopping.wait()
    finally:
        await application.stop()
        await application.shutdown()
