"""Messages to a member that no turn of theirs asked for: a person took the chat, wrote,
is still being looked for, finished (and asks for a rating), or cannot be reached yet;
the password was set on the password page; an e-mail to them was refused by their server;
staff linked their old account and the invitation came with it (R7); a bank transfer's
invoice is due in a few days.

The domain queues them as "member" deliveries; a channel's delivery worker takes the ones
of its own chats through `OUTBOX` (channels never touch the domain themselves) and
renders `notice_replies` in the member's language.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from bot.domain.services import handoff
from bot.flows.live_chat import LEAVE, rating_request
from bot.flows.messages import Button, Key, Money, Reply
from bot.flows.reply_codec import decode_replies

MEMBER = "member"


def notice_replies(payload: dict[str, Any]) -> list[Reply]:
    """The replies for one member delivery's payload ({"kind", "params"})."""
    kind = payload.get("kind")
    if kind == "replies":  # a turn's answer that waited in the outbox
        return decode_replies(payload.get("replies") or [])
    params = {k: str(v) for k, v in (payload.get("params") or {}).items()}
    if kind == "resolved":
        return [rating_request()]
    if kind == "claimed":
        return [Reply("handoff.claimed", params, (Button("handoff.leave_live_chat", LEAVE),))]
    if kind == "mail_failed":  # "mail": the kind of mail, worded as what it carried
        return [Reply("mail.failed", {**params, "mail": Key(f"mail.what.{params.get('mail')}")})]
    if kind in ("staff_message", "still_waiting", "staff_unreachable"):
        return [Reply(f"handoff.{kind}", params)]
    if kind == "password_set":
        return [Reply("password.set_on_page", params)]
    if kind == "invoice_due":  # the amount and the date as the member's language writes them
        amount = Money(Decimal(params["amount"]), params.get("currency") or "EUR")
        due = date.fromisoformat(params["due_date"])
        return [Reply("payment.invoice_due_notice", {**params, "amount": amount, "due_date": due})]
    if kind == "invited":
        return [
            Reply("points.invited_notice", params, (Button("menu.levels", "flow:level_choice"),))
        ]
    raise ValueError(f"unknown member notice {kind!r}")


# The domain's delivery outbox (take what is due, mark it delivered or failed) as the
# channels' delivery workers use it: handlers reach the domain only through flows.
OUTBOX = handoff
