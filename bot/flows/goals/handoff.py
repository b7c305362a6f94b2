"""R14: hand the member over to a person of CPS priority support.

The request is recorded as an escalation with its reason and the conversation's transcript
(passwords never reach it: the engine hides them before anything is remembered). One open
request per member: asking again adds to it. A member not linked yet can ask too.
"""

from __future__ import annotations

from typing import Any

from bot.domain.services.escalations import open_escalation
from bot.domain.services.member_state import member_state
from bot.domain.types import EscalationStatus
from bot.flows.base import Flow
from bot.flows.context import Context
from bot.flows.messages import Button

SKIP = "handoff:skip"
OFFERED = "common.offer_person"  # the router's key when it gave up understanding


def gave_up_before(transcript: list[dict[str, Any]]) -> bool:
    """True when the bot's last words before this turn offered a person (misunderstood)."""
    said = [entry["text"] for entry in transcript if entry.get("who") == "bot"]
    return bool(said) and said[-1] == OFFERED


class Handoff(Flow):
    name = "handoff"
    intents = frozenset({"human_handoff"})
    needs_account = False
    free_text_steps = frozenset({"reason"})  # any text is the reason: no intent interrupts it

    def start(self, ctx: Context) -> None:
        if "reason" not in ctx.data:
            misunderstood = gave_up_before(ctx.state.get("transcript", []))
            ctx.data["reason"] = "misunderstood" if misunderstood else "member_request"
        ctx.goto("reason")
        self.reprompt(ctx)

    def reprompt(self, ctx: Context) -> None:
        ctx.say(
            "handoff.ask_reason",
            Button("handoff.skip", SKIP),
            Button("common.cancel", "cmd:cancel"),
        )

    def handle(self, ctx: Context) -> bool:
        if ctx.payload not in (None, SKIP) or (ctx.payload is None and not ctx.text):
            return False
        already_open = self._has_open_request(ctx)
        number = open_escalation(
            ctx.uow(),
            ctx.email,
            ctx.data.get("reason", "member_request"),
            list(ctx.state.get("transcript", [])),
        )
        ctx.finish()
        ctx.say("handoff.added" if already_open else "handoff.opened", number=str(number))
        if ctx.email is None:
            ctx.say("handoff.not_linked")
        return True

    @staticmethod
    def _has_open_request(ctx: Context) -> bool:
        if ctx.email is None:
            return False
        escalations = member_state(ctx.uow(), ctx.email)["escalations"]
        return any(e["status"] != EscalationStatus.RESOLVED.value for e in escalations)
