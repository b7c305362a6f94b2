"""Entry point of `cps-bot`."""

from __future__ import annotations

import typer

from bot.cli import chat, db, inbox, mail, member, nlu, privacy, report, run, staff, web, worker

app = typer.Typer(
    help="CPS support bot: members, database, chat channels and priority support.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(db.app, name="db")
app.add_typer(member.app, name="member")
app.add_typer(nlu.app, name="nlu")
app.add_typer(chat.app, name="chat")
app.add_typer(run.app, name="run")
app.add_typer(staff.app, name="staff")
app.add_typer(inbox.app, name="inbox")
app.add_typer(worker.app, name="worker")
app.add_typer(privacy.app, name="privacy")
app.add_typer(mail.app, name="mail")
app.add_typer(web.app, name="web")
app.command("report")(report.report)


def main() -> None:
    app()
