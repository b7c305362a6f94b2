"""`cps-bot member`: a member's state as the JSON contract of DESIGN.md, or as a table;
everything held about a member (`export`), and erasure on request (`erase`)."""

from __future__ import annotations

import getpass
import json
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from bot.cli.context import explain, fail, open_app
from bot.domain.errors import DomainError
from bot.domain.services import privacy
from bot.domain.services.accounts import account_language
from bot.domain.services.member_state import list_members, member_state

app = typer.Typer(help="Look at members.", no_args_is_help=True)


@app.command("show")
def show(
    email: str = typer.Argument(..., help="The member's business e-mail."),
    as_json: bool = typer.Option(False, "--json", help="Print the JSON contract."),
) -> None:
    """One member: points, products, invitation, old account, levels, membership."""
    with open_app() as bot_app:
        try:
            state = member_state(bot_app.uow(), email)
        except DomainError as exc:
            raise fail(explain(exc)) from None
    if as_json:
        typer.echo(json.dumps(state, indent=2, ensure_ascii=False))
    else:
        _print_state(state)


@app.command("list")
def list_(as_json: bool = typer.Option(False, "--json", help="One JSON object per member.")):
    """Every member with points, invitation and level."""
    with open_app() as bot_app:
        rows = list_members(bot_app.uow())
    if as_json:
        typer.echo(json.dumps([vars(r) for r in rows], indent=2))
        return
    table = Table("e-mail", "lang", "country", "points", "invitation", "level")
    for r in rows:
        table.add_row(r.email, r.language, r.country, str(r.points), r.invitation, r.level or "-")
    Console().print(table)


@app.command("export")
def export(email: str = typer.Argument(..., help="The member's business e-mail.")) -> None:
    """Everything held about a member, as JSON (an access request). Secrets are left out."""
    with open_app() as bot_app:
        try:
            document = privacy.export_member(bot_app.uow(), email)
        except DomainError as exc:
            raise fail(explain(exc)) from None
    typer.echo(json.dumps(document, indent=2, ensure_ascii=False))


@app.command("erase")
def erase(
    email: str = typer.Argument(..., help="The member's business e-mail."),
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation (scripts)."),
) -> None:
    """Erase a member on request: account, products, mail, every chat linked to it.

    Invoices (and the membership they bill, on an anonymised account) stay for
    bookkeeping. Audited with your OS user as the actor; the e-mail is not logged.
    """
    with open_app() as bot_app:
        try:
            account_language(bot_app.uow(), email)  # an unknown member is said before asking
            if not yes:
                typer.confirm(
                    f"Erase {email} and every chat linked to it? This cannot be undone.",
                    abort=True,
                )
            erasure = privacy.erase_member(bot_app.uow(), email, _os_actor())
        except DomainError as exc:
            raise fail(explain(exc)) from None
    typer.echo(f"erased {email} (audit reference {erasure.reference})")
    for table, count in erasure.erased.items():
        if count:
            typer.echo(f"  deleted or anonymised: {table} {count}")
    for table, count in erasure.kept.items():
        typer.echo(f"  kept for bookkeeping: {table} {count}")


def _os_actor() -> str:
    """The audit log's actor for an erasure from the terminal: the operating system user."""
    try:
        return f"os:{getpass.getuser()}"
    except (OSError, KeyError):  # no login name in the environment nor the user database
        return "os:unknown"


def _print_state(state: dict[str, Any]) -> None:
    console = Console(width=max(Console().width, 160))
    legacy = state["legacy"]
    console.print(
        f"[bold]{state['email']}[/bold] ({state['language']})  "
        f"password {'set' if state['password_set'] else 'not set'}"
    )
    console.print(
        f"points: {state['points']}   invitation: {state['invitation']['status']}   "
        f"available levels: {', '.join(state['available_levels']) or '-'}"
    )
    console.print(
        f"old account: {legacy['email'] or '-'}   linked: {legacy['linked']}   "
        f"migrated: {legacy['migrated']}"
    )
    table = Table(
        "model", "serial", "purchased", "country", "dealer", "source", "points", "tick", "missing"
    )
    for p in state["products"]:
        table.add_row(
            p["model"],
            p["serial_number"] or "-",
            f"{p['purchase_date'] or '-'} ({p['purchase_date_precision'] or '-'})",
            p["country"] or "-",
            p["dealer"] or "-",
            p["source"],
            str(p["points"]),
            "✔" if p["points_assigned"] else "✘",
            ", ".join(p["missing"]) or "-",
        )
    console.print(table)
    membership = state["membership"]
    if membership:
        invoice = membership["invoice"] or {}
        console.print(
            f"membership: {membership['level']} {membership['number']} "
            f"({membership['status']}, {membership['payment_method']}); invoice "
            f"{invoice.get('number', '-')} due {invoice.get('due_date', '-')}"
        )
    else:
        console.print("membership: none")
    for e in state["escalations"]:
        console.print(f"escalation #{e['id']}: {e['status']} ({e['reason']})")
