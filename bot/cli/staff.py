"""`cps-bot staff`: priority support from the terminal, the staff channel of the embedded
defaults (Slack is the production one). The same domain actions as the Slack app, audited
with the actor `cli:<name>`; members read the replies in their chat (`cps-bot chat`)."""

from __future__ import annotations

import json
import uuid

import typer

from bot.cli.context import explain, fail, open_app
from bot.domain.errors import DomainError
from bot.domain.services import handoff, mail_delivery

app = typer.Typer(help="Priority support: the queue, claim, reply, resolve.", no_args_is_help=True)
NAME = typer.Option(..., "--as", help="Your name as members see it (first name) and the audit log.")


@app.command("queue")
def queue(as_json: bool = typer.Option(False, "--json", help="One JSON object per line.")):
    """Open and claimed escalations, oldest first; then mail refused for good, newest first."""
    with open_app() as bot_app:
        views = handoff.queue(bot_app.uow())
        bounced = mail_delivery.failed_mails(bot_app.uow())
        now = bot_app.clock.now()
    if not views:
        typer.echo("no open escalations")
    for view in views:
        row = {
            "id": view.id,
            "status": view.status,
            "reason": view.reason,
            "member": view.email,
            "waiting_minutes": int((now - view.created_at).total_seconds() // 60),
            "claimed_by": view.claimed_by_name,
        }
        if as_json:
            typer.echo(json.dumps(row, ensure_ascii=False))
        else:
            who = f", claimed by {view.claimed_by_name}" if view.claimed_by_name else ""
            typer.echo(
                f"#{view.id} {view.status} ({view.reason}) {view.email or 'not linked'}, "
                f"waiting {row['waiting_minutes']} min{who}"
            )
    _failed_mails(bounced, as_json)


def _failed_mails(mails: list[mail_delivery.FailedMail], as_json: bool) -> None:
    """Mail the member's server refused: staff reach the member another way."""
    if mails and not as_json:
        typer.echo(f"{len(mails)} e-mail(s) not delivered (refused by the member's server):")
    for mail in mails:
        when = mail.failed_at.strftime("%Y-%m-%d %H:%M UTC") if mail.failed_at else "?"
        if as_json:
            row = {
                "type": "failed_mail",
                "mail_id": mail.id,
                "kind": mail.kind,
                "recipient": mail.recipient,
                "reason": mail.reason,
                "failed_at": mail.failed_at.isoformat() if mail.failed_at else None,
            }
            typer.echo(json.dumps(row, ensure_ascii=False))
        else:
            typer.echo(f"mail #{mail.id} {mail.kind} to {mail.recipient}: {mail.reason} ({when})")


@app.command("claim")
def claim(escalation: int = typer.Argument(...), name: str = NAME) -> None:
    """Take an escalation: the member is told and the bot pauses in their chat."""
    _act(lambda uow: handoff.claim(uow, escalation, _actor(name), name), f"claimed #{escalation}")


@app.command("reply")
def reply(
    escalation: int = typer.Argument(...),
    text: str = typer.Argument(..., help='What the member reads; "note: ..." stays internal.'),
    name: str = NAME,
) -> None:
    """Write to the member of a claimed escalation, signed with your first name."""
    with open_app() as bot_app:
        try:
            outcome = handoff.relay_to_member(
                bot_app.uow(), escalation, _actor(name), name, text, f"cli-{uuid.uuid4().hex}"
            )
        except DomainError as exc:
            raise fail(explain(exc)) from None
    if outcome == "not_live":
        raise fail(f"escalation #{escalation} is not claimed: run `cps-bot staff claim` first")
    typer.echo("kept as an internal note" if outcome == "note" else "sent to the member")


@app.command("resolve")
def resolve(escalation: int = typer.Argument(...), name: str = NAME) -> None:
    """Hand the member back to the bot, which asks them for a 1-5 rating."""
    _act(
        lambda uow: handoff.resolve(uow, escalation, _actor(name), name), f"resolved #{escalation}"
    )


def _act(action, done: str) -> None:  # type: ignore[no-untyped-def]
    with open_app() as bot_app:
        try:
            action(bot_app.uow())
        except DomainError as exc:
            raise fail(explain(exc)) from None
    typer.echo(done)


def _actor(name: str) -> str:
    return f"cli:{name.strip()}"
