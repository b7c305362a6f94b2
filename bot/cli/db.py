"""`cps-bot db`: create and upgrade the schema, load reference data and demo members."""

from __future__ import annotations

import typer

from bot.cli.context import open_app
from bot.domain import schema
from bot.seed import load_demo_members, load_reference_data

app = typer.Typer(help="Create or upgrade the database.", no_args_is_help=True)


@app.command("init")
def init(
    demo: bool = typer.Option(False, "--demo", help="Also load the demo members of DESIGN.md."),
) -> None:
    """Create the schema and load the catalogue, levels and dealers (safe to run again)."""
    with open_app(require_schema=False) as bot_app:
        schema.upgrade(bot_app.engine)
        data_dir = bot_app.settings.resolved_data_dir
        load_reference_data(bot_app.uow(), data_dir)
        typer.echo(f"schema at revision {schema.current_revision(bot_app.engine)}")
        if demo:
            loaded = load_demo_members(bot_app.uow(), data_dir)
            typer.echo(
                f"demo members: {len(loaded.created)} created, {len(loaded.existing)} already there"
            )


@app.command("upgrade")
def upgrade() -> None:
    """Apply pending migrations and refresh reference data from data/."""
    with open_app(require_schema=False) as bot_app:
        before = schema.current_revision(bot_app.engine)
        schema.upgrade(bot_app.engine)
        load_reference_data(bot_app.uow(), bot_app.settings.resolved_data_dir)
        after = schema.current_revision(bot_app.engine)
        typer.echo(f"schema {before or 'empty'} -> {after}")
