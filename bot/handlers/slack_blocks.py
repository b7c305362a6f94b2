"""Block Kit for the staff: the escalation card, the App Home, the member modal.

Everything a member typed is escaped before it reaches mrkdwn, so a message such as
`<!channel>` shows as text instead of pinging the whole staff channel. Texts are cut to
Slack's limits (3,000 characters a section, 150 a header, 24 a modal title).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.flows.i18n import default_catalogs

CLAIM, RESOLVE, VIEW = "escalation_claim", "escalation_resolve", "escalation_view"
REASONS = {
    "member_request": "Member asked for a person",
    "no_migration": "Old products cannot be migrated (R4): priority support",
    "misunderstood": "The bot misunderstood three times",
    "other": "Other",
}
HOME_LIMIT = 40  # a Home view holds at most 100 blocks: two per escalation, some headroom
TRANSCRIPT_LINES = 6
STAFF_LANGUAGE = "en"  # what staff read the bot's side of a conversation in
Block = dict[str, Any]


class EscalationView(Protocol):
    """What the blocks read of an escalation (bot.domain.services.handoff.EscalationView)."""

    @property
    def id(self) -> int: ...
    @property
    def status(self) -> str: ...
    @property
    def reason(self) -> str: ...
    @property
    def email(self) -> str | None: ...
    @property
    def language(self) -> str | None: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def claimed_by(self) -> str | None: ...
    @property
    def claimed_by_name(self) -> str | None: ...
    @property
    def claimed_at(self) -> datetime | None: ...
    @property
    def resolved_by(self) -> str | None: ...
    @property
    def helpdesk_ticket(self) -> str | None: ...
    @property
    def helpdesk_status(self) -> str | None: ...
    @property
    def card_channel(self) -> str | None: ...
    @property
    def card_ts(self) -> str | None: ...
    @property
    def context(self) -> dict[str, Any]: ...
    @property
    def transcript(self) -> list[dict[str, Any]]: ...


def esc(text: object) -> str:
    """Slack's three control characters, so member text stays text."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def mrkdwn(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": cut(text, 3000)}}


def plain(text: str, limit: int = 150) -> dict[str, Any]:
    return {"type": "plain_text", "text": cut(text, limit), "emoji": True}


def reason_label(reason: str) -> str:
    return REASONS.get(reason, reason.replace("_", " ").capitalize())


def age(delta: timedelta) -> str:
    minutes = max(0, int(delta.total_seconds() // 60))
    if minutes < 1:
        return "less than a minute"
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"


def who(user_id: str | None, name: str | None) -> str:
    """The staff member's name; else a mention, which Slack shows as the name too."""
    if name:
        return esc(name)
    return f"<@{user_id}>" if user_id else "someone"


def status_line(view: EscalationView) -> str:
    if view.status == "resolved":
        return f":white_check_mark: Resolved by {who(view.resolved_by, None)}"
    if view.status == "claimed":
        return f":raising_hand: Claimed by {who(view.claimed_by, view.claimed_by_name)}"
    return ":large_orange_circle: Open, waiting for someone to claim it"


def sla_line(view: EscalationView, now: datetime, sla_minutes: float) -> str:
    """The App Home's line: age, SLA state, who has it."""
    waited = now - view.created_at
    if view.status == "claimed":
        taken = (view.claimed_at or now) - view.created_at
        name = who(view.claimed_by, view.claimed_by_name)
        return f":raising_hand: claimed by {name} after {age(taken)} · open for {age(waited)}"
    limit = timedelta(minutes=sla_minutes)
    if waited > limit:
        return f":red_circle: unclaimed for {age(waited)}, over the {age(limit)} SLA"
    return (
        f":large_green_circle: unclaimed for {age(waited)}, within SLA ({age(limit - waited)} left)"
    )


# -- the card ------------------------------------------------------------------------
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


# -- App Home and the member modal ------------------------------------------------------
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


# -- /cps answers -----------------------------------------------------------------------
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


def lookup_text(state: dict[str, Any]) -> str:
    return "\n".join(
        [
            member_summary(state.get("email"), state),
            "*Products*",
            product_lines(state.get("products") or []),
        ]
    )


def from_mrkdwn(text: str) -> str:
    """A staff reply as the member should read it: links and mentions as plain text."""
    text = re.sub(r"<[@#!][^<>|]*\|([^<>]+)>", r"\1", text)  # mentions with their label
    text = re.sub(r"<(?:mailto:)?([^<>|@#!][^<>|]*)\|([^<>]+)>", _label, text)
    text = re.sub(r"<(?:mailto:)?([^<>|@#!][^<>|]*)>", r"\1", text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").strip()


def _label(match: re.Match[str]) -> str:
    target, label = match.group(1), match.group(2)
    return label if target.removeprefix("mailto:") == label else f"{label} ({target})"
