"""The staff's work queue, twice: the App Home tab and the answer to `/cps queue`.

Both list the open and claimed escalations oldest first, each with its SLA state (how
long it has waited against `handoff_claim_sla_minutes`, or who claimed it). The Home tab
shows at most `HOME_LIMIT` of them, each with a `View member` button; `/cps queue` lists
them all in one message.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot.handlers.slack_blocks import Block, cut, esc, mrkdwn, plain
from bot.handlers.slack_card import VIEW
from bot.handlers.slack_escalation_lines import EscalationView, age, reason_label, sla_line
from bot.reporting.formats import short_rate

HOME_LIMIT = 40  # a Home view holds at most 100 blocks: two per escalation, some headroom


def home(
    views: list[EscalationView],
    now: datetime,
    sla_minutes: float,
    week: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The App Home tab: the last 7 days' headline figures (`week`, the report's overall
    section), then open and claimed escalations, oldest first, each with its SLA state."""
    sla = age(timedelta(minutes=sla_minutes))
    blocks: list[Block] = headline(week) if week is not None else []
    blocks += [
        {"type": "header", "text": plain("Open escalations")},
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": f"{len(views)} waiting · claim within {sla}"
                    f" · as of {now:%Y-%m-%d %H:%M} UTC",
                }
            ],
        },
    ]
    if not views:
        blocks.append(mrkdwn("Nothing waiting: every member is served. :tada:"))
    for view in views[:HOME_LIMIT]:
        line = (
            f"*#{view.id}* · {esc(reason_label(view.reason))} · {esc(view.email or 'not linked')}"
        )
        section = mrkdwn(f"{line}\n{sla_line(view, now, sla_minutes)}")
        section["accessory"] = {
            "type": "button",
            "action_id": VIEW,
            "value": str(view.id),
            "text": plain("View member"),
        }
        blocks += [section, {"type": "divider"}]
    if len(views) > HOME_LIMIT:
        blocks.append(mrkdwn(f"…and {len(views) - HOME_LIMIT} more: `/cps queue` lists them all."))
    return {"type": "home", "blocks": blocks}


def queue_text(views: list[EscalationView], now: datetime, sla_minutes: float) -> str:
    if not views:
        return "The queue is empty: no open escalations. :tada:"
    lines = [f"*{len(views)} open escalation{'s' if len(views) != 1 else ''}*, oldest first:"]
    for view in views:
        lines.append(
            f"• *#{view.id}* {esc(view.email or 'not linked')} · {esc(reason_label(view.reason))}"
            f" · {sla_line(view, now, sla_minutes)}"
        )
    return cut("\n".join(lines), 3000)


def headline(week: dict[str, Any]) -> list[Block]:
    """The last 7 days in a few figures: how much the bot solved alone, how often a person
    was needed, how often it did not understand, how members rated the people."""
    contained, fallback = week["containment"], week["fallback"]
    csat, handoffs = week["csat"], week["handoffs"]
    claim = handoffs["time_to_claim"]["median_seconds"]
    rating = "—" if csat["average"] is None else f"{csat['average']:.1f} / 5"
    fields = [
        ("Conversations", str(week["conversations"])),
        ("Solved by the bot", short_rate(contained["rate"])),
        ("Handed to a person", short_rate(contained["handoff_rate"])),
        ("Not understood", f"{short_rate(fallback['rate'])} of {fallback['turns']} messages"),
        ("Rating of the people", f"{rating} ({csat['ratings']} rated)"),
        ("Median time to claim", "—" if claim is None else age(timedelta(seconds=claim))),
    ]
    period = week["period"]
    return [
        {"type": "header", "text": plain("Last 7 days")},
        {
            "type": "section",
            "fields": [{"type": "mrkdwn", "text": f"*{name}*\n{value}"} for name, value in fields],
        },
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": f"{period['since']} to {period['until']} (UTC) · "
                    "`cps-bot report` has every figure, per language and channel",
                }
            ],
        },
        {"type": "divider"},
    ]
