"""`cps-bot report [--since DATE] [--until DATE] [--json] [--html FILE]`: how well the bot
did over a period (`bot.domain.services.analytics`): containment, handoffs by reason,
fallback rate, CSAT, handoff times, the joining funnel, flows started and completed.

With no option: the last 7 days, up to today (UTC), as readable lines. `--json` prints the
figures as one JSON object; `--html FILE` writes them as one self-contained page with
charts (no external asset: it opens offline and prints)."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import typer

from bot.cli.context import fail, open_app
from bot.domain.services.analytics import WEEK_DAYS, build_report


def report(
    since: str | None = typer.Option(None, "--since", help="First day (YYYY-MM-DD)."),
    until: str | None = typer.Option(None, "--until", help="Last day, included (YYYY-MM-DD)."),
    as_json: bool = typer.Option(False, "--json", help="The figures as one JSON object."),
    html: Path | None = typer.Option(None, "--html", help="Write the report as one HTML file."),
) -> None:
    """Containment, handoffs, fallback rate, CSAT, the joining funnel: per language and channel."""
    with open_app() as bot_app:
        today = bot_app.clock.now().date()
        last = _day(until, "--until") if until else today
        first = _day(since, "--since") if since else last - timedelta(days=WEEK_DAYS - 1)
        if first > last:
            raise fail(f"--since ({first}) is after --until ({last})", 2)
        figures = build_report(bot_app.uow(), first, last)
    if html is not None:
        from bot.reporting.html import render_report

        try:
            html.write_text(render_report(figures), encoding="utf-8")
        except OSError as exc:
            raise fail(f"cannot write {html}: {exc.strerror or exc}") from None
        if not as_json:
            typer.echo(f"report written to {html}")
    if as_json:
        typer.echo(json.dumps(figures, ensure_ascii=False, indent=2))
    elif html is None:
        typer.echo("\n".join(summary(figures)))


def _day(text: str, option: str) -> date:
    try:
        return datetime.strptime(text.strip(), "%Y-%m-%d").date()
    except ValueError:
        raise fail(f"{option} wants a day as YYYY-MM-DD, not {text!r}", 2) from None


def summary(figures: dict[str, Any]) -> list[str]:
    """The headline figures as lines for a terminal."""
    period = figures["period"]
    lines = [f"{period['since']} .. {period['until']} ({period['days']} days)"]
    parts = [("all", figures["overall"])]
    parts += [(f"language {k}", v) for k, v in figures["by_language"].items()]
    parts += [(f"channel {k}", v) for k, v in figures["by_channel"].items()]
    for name, part in parts:
        contained, fallback, csat = part["containment"], part["fallback"], part["csat"]
        handoffs = part["handoffs"]
        lines.append(
            f"{name}: {part['conversations']} conversations, "
            f"contained {_percent(contained['rate'])}, handed off "
            f"{_percent(contained['handoff_rate'])}, not understood "
            f"{_percent(fallback['rate'])} of {fallback['turns']} turns, CSAT "
            f"{_number(csat['average'])} ({csat['ratings']} ratings), "
            f"{handoffs['open_now']} open now"
        )
    funnel = figures["overall"]["funnel"]
    lines.append("funnel: " + " -> ".join(f"{s['step']} {s['members']}" for s in funnel))
    return lines


def _percent(rate: float | None) -> str:
    return "-" if rate is None else f"{rate * 100:.1f}%"


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"
