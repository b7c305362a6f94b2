"""`cps-bot inbox`: the events set aside (dead letters), and sending one back.

An event is set aside when it cannot be parsed or its turn kept failing; its reason is
shown, never its content. `replay` makes it pending again: a running bot hands it to its
turn at the next inbox sweep (`inbox_retry_seconds`), a bot started later at once.
"""

from __future__ import annotations

import json

import typer

from bot.cli.context import fail, open_app
from bot.domain.errors import DomainError
from bot.domain.services import inbox

app = typer.Typer(help="Inbound events set aside: list and replay.", no_args_is_help=True)


@app.command("list")
def list_dead(
    channel: str | None = typer.Option(None, "--channel", help="telegram, console, ..."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per line."),
) -> None:
    """Events set aside, oldest first: id, channel, event id, attempts and the reason."""
    with open_app() as bot_app:
        events = inbox.dead_letters(bot_app.uow(), channel)
    if not events:
        typer.echo("no events set aside")
    for event in events:
        row = {
            "id": event.id,
            "channel": event.channel,
            "event_id": event.event_id,
            "received_at": event.received_at.isoformat(timespec="seconds"),
            "attempts": event.attempts,
            "reason": event.error,
        }
        if as_json:
            typer.echo(json.dumps(row, ensure_ascii=False))
        else:
            typer.echo(
                f"#{event.id} {event.channel} event {event.event_id}, "
                f"{event.attempts} attempt(s), received {row['received_at']}: {event.error}"
            )


@app.command("replay")
def replay(event: int = typer.Argument(..., help="The id `cps-bot inbox list` shows.")) -> None:
    """Send a set-aside event back to be handled (its attempts start again)."""
    with open_app() as bot_app:
        try:
            replayed = inbox.replay(bot_app.uow(), event)
        except DomainError:
            raise fail(f"no event #{event} set aside") from None
    typer.echo(f"#{replayed.id} ({replayed.channel} event {replayed.event_id}) is pending again")
