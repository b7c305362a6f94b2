"""R14: hand the member over to a person of CPS priority support.

The request is recorded as an escalation with its reason and the conversation's transcript
(passwords never reach it: the engine hides them before anything is remembered). One open
request per member: asking again adds to it. A member not linked yet can ask too.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.domain.services.escalations import open_escalation
from bot.flows.context import Context
from bot.flows.form import DONE, Ask, FlowData, Form, Outcome
from bot.flows.messages import Button

SKIP = "handoff:skip"


def escalate(ctx: Context, reason: str) -> tuple[int, bool]:
    """Open (or add to) the member's escalation from this chat: (its number, was it open).

    The chat remembers it, so a person's claim pauses the bot and their replies reach here.
    """
    already_open = ctx.escalation is not None
    number = open_escalation(
        ctx.uow(),
        ctx.email,
        reason,
        list(ctx.state.get("transcript", [])),
        conversation_key=ctx.turn.key,
        language=ctx.language,
    )
    already_open = already_open and ctx.escalation == number
    if not already_open:
        ctx.mark("handoff", reason, escalation_id=number)
    ctx.escalation = number
    ctx.staff_news = True
    return number, already_open


class Step(StrEnum):
    REASON = "reason"  # what it is about, in the member's words (or skipped)


@dataclass
class Data(FlowData):
    reason: str = "member_request"  # why a person is needed (R4, misunderstood, ...)


def ask_reason(ctx: Context, data: Data) -> None:
    ctx.say(
        "handoff.ask_reason",
        Button("handoff.skip", SKIP),
        Button("common.cancel", "cmd:cancel"),
    )


def reason_given(ctx: Context, data: Data) -> Outcome:
    if ctx.payload not in (None, SKIP) or (ctx.payload is None and not ctx.text):
        return None
    number, already_open = escalate(ctx, data.reason)
    ctx.finish()
    ctx.say("handoff.added" if already_open else "handoff.opened", number=str(number))
    if ctx.email is None:
        ctx.say("handoff.not_linked")
    return DONE


# Any text is the reason: no intent interrupts it.
STEPS = {Step.REASON: Ask(ask_reason, reason_given, free_text=True)}


class Handoff(Form):
    name = "handoff"
    intents = frozenset({"human_handoff"})
    needs_account = False
    Step, Data, STEPS = Step, Data, STEPS
