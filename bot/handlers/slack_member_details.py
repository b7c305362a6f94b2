"""The member behind an escalation, for staff: the `View member` modal and `/cps lookup`.

Both show the same summary (account, points, invitation, membership, old account), the
member's products and the conversation; the card (`slack_card`) reuses the invitation,
membership and transcript lines. The bot's side of a transcript is stored as message keys
and rendered here in the staff's language (`STAFF_LANGUAGE`).
"""

from __future__ import annotations

from typing import Any

from bot.flows.i18n import default_catalogs
from bot.handlers.slack_blocks import Block, cut, esc, mrkdwn, plain
from bot.handlers.slack_escalation_lines import EscalationView, reason_label, status_line

STAFF_LANGUAGE = "en"  # what staff read the bot's side of a conversation in


def member_modal(view: EscalationView) -> dict[str, Any]:
    """What `View member` opens: the context snapshot taken when the escalation opened."""
    context = view.context or {}
    blocks: list[Block] = [
        mrkdwn(f"*{esc(reason_label(view.reason))}*\n{status_line(view)}"),
        {"type": "divider"},
        mrkdwn(member_summary(view.email, context)),
        mrkdwn("*Products*\n" + product_lines(context.get("products") or [])),
        mrkdwn("*Conversation*\n" + transcript(view.transcript, 15)),
    ]
    return {
        "type": "modal",
        "callback_id": "escalation_member",
        "title": plain(f"Escalation #{view.id}", 24),
        "close": plain("Close", 24),
        "blocks": blocks,
    }


def lookup_text(state: dict[str, Any]) -> str:
    return "\n".join(
        [
            member_summary(state.get("email"), state),
            "*Products*",
            product_lines(state.get("products") or []),
        ]
    )


def member_summary(email: str | None, state: dict[str, Any]) -> str:
    """Account, points, invitation, membership and old account, for the modal and lookup."""
    if not state:
        return f"*{esc(email or 'Member not linked')}*\n_not known to the bot_"
    account = state.get("account") or state  # escalation context nests it; member_state doesn't
    facts = [account.get("language"), account.get("country")]
    facts.append("password set" if account.get("password_set") else "password not set")
    head = esc(email or account.get("email") or "?")
    invited = esc(invitation(state.get("invitation")))
    lines = [
        f"*{head}* · " + " · ".join(esc(f) for f in facts if f),
        f"Points: *{esc(state.get('points', '?'))}* · invitation: {invited}",
        f"Membership: {membership_line(state.get('membership'))}",
    ]
    legacy = state.get("legacy") or {}
    if legacy.get("email"):
        status = (
            "migrated"
            if legacy.get("migrated")
            else "linked"
            if legacy.get("linked")
            else "not found"
        )
        lines.append(f"Old account: {esc(legacy['email'])} ({status})")
    return "\n".join(lines)


def product_lines(products: list[dict[str, Any]]) -> str:
    if not products:
        return "_none_"
    lines = []
    for p in products[:40]:
        missing = p.get("missing") or []
        state = (
            f"missing {esc(', '.join(missing).replace('_', ' '))}"
            if missing
            else f":white_check_mark: {esc(p.get('points', 0))} points"
        )
        serial = f" ({esc(p['serial_number'])})" if p.get("serial_number") else ""
        lines.append(f"• {esc(p.get('model', '?'))}{serial}: {state}")
    return "\n".join(lines)


def invitation(value: Any) -> str:
    """`none|sent|accepted`, given bare (escalation context) or as member_state's dict."""
    if isinstance(value, dict):
        value = value.get("status")
    return str(value or "none")


def membership_line(membership: dict[str, Any] | None) -> str:
    if not membership:
        return "none"
    parts = [membership.get("level"), membership.get("number"), membership.get("status")]
    return esc(" · ".join(str(p) for p in parts if p))


def transcript(lines: list[dict[str, Any]], last: int) -> str:
    shown = lines[-last:]
    if not shown:
        return "_no messages_"
    return "\n".join(
        f"> *{esc(line.get('who', '?'))}*: {esc(cut(said(line), 300))}" for line in shown
    )


def said(line: dict[str, Any]) -> str:
    """The words of a transcript line; the bot's are message keys, shown in staff English."""
    text = str(line.get("text", ""))
    if line.get("who") == "bot":
        return default_catalogs().render(STAFF_LANGUAGE, text)
    return text
