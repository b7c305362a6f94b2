"""`cps-bot privacy purge`: retention, what is kept longer than `retention_days` (and sent
mail longer than `mail_retention_days`) is deleted. The running bot does it every hour."""

from __future__ import annotations

import json

import typer

from bot.cli.context import open_app
from bot.domain.services import privacy

app = typer.Typer(help="Members' privacy: retention.", no_args_is_help=True)


@app.command("purge")
def purge(as_json: bool = typer.Option(False, "--json", help="The counts as one JSON object.")):
    """Delete what is past retention now; prints how many rows went, by table."""
    with open_app() as bot_app:
        counts = privacy.purge_now(bot_app.uow())
    if as_json:
        typer.echo(json.dumps(counts))
        return
    for table, count in counts.items():
        typer.echo(f"{table}: {count}")
