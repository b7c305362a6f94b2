"""`cps-bot chat`: the console channel, interactive or scripted from stdin."""

from __future__ import annotations

import asyncio
import sys

import typer

from bot.bootstrap import build_dialogue
from bot.cli.context import fail, open_app
from bot.domain.services.member_state import list_members
from bot.domain.services.outbox import take_pending
from bot.handlers.mail_render import MailRenderer
from bot.nlu.factory import build_parser
from bot.runtime import Runtime

app = typer.Typer(help="Chat with the bot in the terminal.")


@app.callback(invoke_without_command=True)
def chat(
    as_email: str | None = typer.Option(None, "--as", help="Chat as this member (e-mail)."),
    lang: str | None = typer.Option(None, "--lang", help="it or en (default: the member's)."),
) -> None:
    """Reads your lines (or stdin when it is not a terminal) and prints the bot's replies."""
    interactive = sys.stdin.isatty()
    with open_app() as bot_app:
        members = [m.email for m in list_members(bot_app.uow())]
        if as_email is None and interactive and members:
            as_email = _pick(members)
        email = as_email.strip().lower() if as_email else None
        if email is not None and email not in members:
            raise fail(f"no member with e-mail {as_email}")
        parser = build_parser(bot_app.settings)
        runtime = Runtime(bot_app.settings, build_dialogue(bot_app, parser))
        mails = MailRenderer(runtime.catalogs)  # the very mail SMTP would send
        console = runtime.console(email or "guest", typer.echo)
        if email:
            runtime.engine.link(console.key, email, lang)

        by_smtp = bool(bot_app.settings.smtp_host)  # then the mail workers send it, not us

        def deliver_mail() -> None:
            if by_smtp:
                return
            for mail in take_pending(bot_app.uow(), email):
                shown = mails.render(mail.kind, mail.language, mail.sender, mail.data)
                typer.echo(f"mail> from {mail.sender} to {mail.recipient}: {shown.subject}")
                typer.echo(
                    "".join(f"mail|   {line}\n" for line in shown.text.splitlines()), nl=False
                )

        async def run() -> None:
            try:
                await console.resume()  # lines a stopped run left unanswered
                if interactive:
                    await console.send_payload("cmd:start")
                    typer.echo("(type your message; a number picks an option; Ctrl-D to quit)")
                if not by_smtp:
                    take_pending(bot_app.uow(), email)  # older mail is not this chat's news
                while True:
                    line = await asyncio.to_thread(_read, interactive)
                    if line is None:
                        break
                    if line.strip():
                        await console.send(line)
                        deliver_mail()
            finally:
                await parser.aclose()

        asyncio.run(run())


def _read(interactive: bool) -> str | None:
    try:
        return input("you> ") if interactive else next(iter(sys.stdin.readline, ""), None)
    except EOFError:
        return None


def _pick(members: list[str]) -> str:
    typer.echo("Demo members:")
    for number, email in enumerate(members, 1):
        typer.echo(f"  [{number}] {email}")
    choice = typer.prompt("Chat as (number or e-mail)", default="1")
    return (
        members[int(choice) - 1] if choice.isdigit() and 0 < int(choice) <= len(members) else choice
    )
