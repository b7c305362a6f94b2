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

HOME_LIMIT = 40  # a Home view holds at most 100 blocks: two per escalation, some headroom


def home(views: list[EscalationView], now: datetime, sla_minutes: float) -> dict[str, Any]:
    """The App Home tab: open and claimed escalations, oldest first, each with its SLA state."""
    sla = age(timedelta(minutes=sla_minutes))
    blocks: list[Block] = [
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
