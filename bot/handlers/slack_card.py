"""The escalation card posted in the staff channel: the member's facts and the buttons.

The card shows who the member is, what is missing from their products, the last lines of
the conversation and where the escalation stands; its buttons (`CLAIM`, `RESOLVE`, `VIEW`)
are the action ids the Slack app listens to. It is redrawn whenever the escalation changes.
"""

from __future__ import annotations

from typing import Any

from bot.handlers.slack_blocks import Block, cut, esc, mrkdwn, plain
from bot.handlers.slack_escalation_lines import EscalationView, reason_label, status_line
from bot.handlers.slack_member_details import invitation, membership_line, transcript

CLAIM, RESOLVE, VIEW = "escalation_claim", "escalation_resolve", "escalation_view"
TRANSCRIPT_LINES = 6


def card(view: EscalationView) -> tuple[str, list[Block]]:
    """The card's fallback text (notifications, screen readers) and its blocks."""
    context = view.context or {}
    title = f"Escalation #{view.id} · {reason_label(view.reason)}"
    fields = [
        ("Member", esc(view.email or "not linked (Telegram only)")),
        ("Language", esc(view.language or "?")),
        ("Points", esc(context.get("points", "?"))),
        ("Invitation", esc(invitation(context.get("invitation")))),
        ("Membership", membership_line(context.get("membership"))),
        ("Status", status_line(view)),
    ]
    if view.helpdesk_ticket or view.helpdesk_status:
        ticket = esc(view.helpdesk_ticket or "no ticket yet")
        fields.append(("Helpdesk", f"{ticket} · {esc(view.helpdesk_status or 'sent')}"))
    blocks: list[Block] = [
        {"type": "header", "text": plain(title)},
        {
            "type": "section",
            "fields": [{"type": "mrkdwn", "text": cut(f"*{k}*\n{v}", 2000)} for k, v in fields],
        },
        mrkdwn("*Products with missing details*\n" + incomplete_products(context)),
        mrkdwn("*Last messages*\n" + transcript(view.transcript, TRANSCRIPT_LINES)),
    ]
    buttons = card_buttons(view)
    if buttons:
        blocks.append({"type": "actions", "block_id": f"escalation:{view.id}", "elements": buttons})
    return f"{title} ({view.status})", blocks


def card_buttons(view: EscalationView) -> list[Block]:
    value = str(view.id)
    claim = {"type": "button", "action_id": CLAIM, "value": value, "style": "primary"}
    resolve = {"type": "button", "action_id": RESOLVE, "value": value}
    shown = []
    if view.status == "open":
        shown.append({**claim, "text": plain("Claim")})
    if view.status in ("open", "claimed"):
        shown.append({**resolve, "text": plain("Resolve")})
    shown.append(
        {"type": "button", "action_id": VIEW, "value": value, "text": plain("View member")}
    )
    return shown


def incomplete_products(context: dict[str, Any]) -> str:
    products = context.get("products") or []
    if not context:
        return "_member not known to the bot_"
    if not products:
        return "_no products registered_"
    missing = [p for p in products if p.get("missing")]
    if not missing:
        return f"_none: all {len(products)} products are complete_"
    return "\n".join(
        f"• {esc(p.get('model', '?'))}: {esc(', '.join(p['missing']).replace('_', ' '))}"
        for p in missing
    )
