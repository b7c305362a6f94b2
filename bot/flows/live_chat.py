"""While a person of priority support has the chat: relay, keep quiet, then ask for a rating.

The conversation remembers the escalation it opened (`state["escalation"]`), so a chat with
no escalation pays nothing on its turns. With one:
- claimed by staff: the member's words go to the card's thread in Slack and the bot's own
  flows pause (the person answers, signed with their first name); /cancel (or the button
  under "a person has your request") leaves the live chat and the bot answers again;
- resolved, not rated yet: a 1-5 answer (a button or typed) is stored as the rating and
  thanked; anything else declines the rating and the turn goes on with the bot as usual;
- still waiting for someone (open): the bot keeps helping meanwhile.
"""

from __future__ import annotations

import re

from bot.domain.services import handoff
from bot.flows.context import Context
from bot.flows.messages import Button, Reply

RATE = "rate:"
LEAVE = "cmd:cancel"
RATINGS = range(1, 6)
TYPED_RATING = re.compile(
    r"\s*([1-5])(\s*(/\s*5|stell[ae]|stars?|sterne?|étoiles?|estrellas?))?\W*"
)


def live_turn(ctx: Context) -> bool:
    """True when the escalation took this turn (relayed, or a rating); False lets it go on."""
    if ctx.escalation is None:
        return False
    view = handoff.for_conversation(ctx.uow(), ctx.turn.key)
    if view is None:
        ctx.escalation = None
        return False
    if view.status == "claimed" and ctx.payload == LEAVE:  # /cancel, or the claimed notice's button
        handoff.relay_to_staff(ctx.uow(), view.id, "(left the live chat: the bot answers again)")
        ctx.staff_news = True
        ctx.escalation = None
        ctx.say(
            "handoff.left_live_chat",
            name=view.claimed_by_name.split()[0] if view.claimed_by_name else "",
        )
        return True
    if view.status == "claimed":
        text = ctx.text or (f"[{ctx.payload}]" if ctx.payload else "")
        if text:
            handoff.relay_to_staff(ctx.uow(), view.id, text)
            ctx.staff_news = True
        return True
    if view.status == "resolved":
        ctx.escalation = None
        rating = _rating(ctx)
        if rating is None:
            handoff.decline_rating(ctx.uow(), view.id)
            return False
        handoff.rate(ctx.uow(), view.id, rating)
        ctx.say("handoff.thanks_for_rating", rating=str(rating))
        return True
    return False


def rating_request() -> Reply:
    """The question the member gets when staff resolve: five buttons, 1 (bad) to 5 (great)."""
    return Reply(
        "handoff.resolved",
        buttons=tuple(Button(f"handoff.rating_{n}", f"{RATE}{n}") for n in RATINGS),
    )


def _rating(ctx: Context) -> int | None:
    if ctx.payload and ctx.payload.startswith(RATE):
        value = ctx.payload.removeprefix(RATE)
        return int(value) if value.isdigit() and int(value) in RATINGS else None
    typed = TYPED_RATING.fullmatch(ctx.text.lower()) if ctx.payload is None else None
    return int(typed.group(1)) if typed else None
