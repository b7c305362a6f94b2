"""`cps-bot mail deliver`: the mail that is due, sent once through `smtp_host`, then exit.

For cron or an operator after an outage (the running bot sends mail by itself). Prints
`sent N, retried N, failed N`: retried mail waits for its next attempt (backoff), failed
mail was refused for good by the member's server (the member's chats and `cps-bot staff
queue` show it). Warnings and errors go to stderr, secrets redacted.
"""

from __future__ import annotations

import asyncio

import typer

from bot.cli.context import fail, open_app
from bot.cli.redaction import configure_logging, secrets_of

app = typer.Typer(help="E-mail: send what waits in the outbox.", no_args_is_help=True)


@app.command("deliver")
def deliver() -> None:
    """Send the mail that is due now, once; prints how many were sent, retried, failed."""
    from bot.mail_side import deliver_due

    with open_app() as bot_app:
        settings = bot_app.settings
        if not settings.smtp_host:
            raise fail(
                "smtp_host is not set: mail stays in the outbox (`cps-bot chat` shows it)", 2
            )
        configure_logging(secrets_of(settings))
        counts = asyncio.run(deliver_due(settings, bot_app.uow))
    typer.echo(f"sent {counts.sent}, retried {counts.retried}, failed {counts.failed}")
