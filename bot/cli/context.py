"""Builds the app once per command and turns expected failures into one clear line."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer

from bot.bootstrap import App, bootstrap
from bot.domain import schema
from bot.domain.errors import DomainError
from bot.seed import DataError
from bot.settings import SettingsError, load_settings


def fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


@contextmanager
def open_app(*, require_schema: bool = True) -> Iterator[App]:
    try:
        app = bootstrap(load_settings())
    except SettingsError as exc:
        raise fail(str(exc), 2) from None
    try:
        current = schema.current_revision(app.engine) if require_schema else None
        if require_schema and current is None:
            raise fail("the database has no schema yet: run `cps-bot db init` first")
        if require_schema and current != schema.head_revision():
            raise fail(
                f"the database schema ({current}) is older than this version of the "
                f"bot ({schema.head_revision()}): run `cps-bot db upgrade`"
            )
        yield app
    except DataError as exc:
        raise fail(str(exc), 2) from None
    finally:
        app.close()


def explain(exc: DomainError) -> str:
    """One line for a refusal the domain gave, for people at a terminal."""
    email = getattr(exc, "email", None)
    if exc.code == "account_not_found":
        return f"no member with e-mail {email}"
    if exc.code == "escalation_not_found":
        return f"no escalation #{getattr(exc, 'escalation_id', '?')}"
    if exc.code == "already_claimed":
        return f"already claimed by {getattr(exc, 'by_name', 'someone else')}"
    if exc.code == "already_resolved":
        return f"escalation #{getattr(exc, 'escalation_id', '?')} is already resolved"
    return str(exc) or exc.code
