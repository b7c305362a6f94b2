"""Entry point of `cps-bot`."""

from __future__ import annotations

import typer

from bot.cli import chat, db, member, nlu, run

app = typer.Typer(
    help="CPS support bot: members, database and (soon) the chat channels.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(db.app, name="db")
app.add_typer(member.app, name="member")
app.add_typer(nlu.app, name="nlu")
app.add_typer(chat.app, name="chat")
app.add_typer(run.app, name="run")


def main() -> None:
    app()
