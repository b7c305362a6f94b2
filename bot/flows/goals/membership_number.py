"""The member's CPS membership number, or how one is had (R13: always a new one)."""

from __future__ import annotations

from bot.domain.services.member_state import member_state
from bot.domain.services.membership import level_choices
from bot.domain.types import InvitationStatus
from bot.flows.base import Flow
from bot.flows.context import Context
from bot.flows.messages import Button, Key


class MembershipNumber(Flow):
    name = "membership_number"
    intents = frozenset({"membership_number"})

    def start(self, ctx: Context) -> None:
        assert ctx.email is not None
        state = member_state(ctx.uow(), ctx.email)
        membership = state["membership"]
        own_flow = ctx.flow == self.name  # not a digression inside another flow
        if own_flow:
            ctx.finish()
        if membership is not None:
            levels = level_choices(ctx.uow(), ctx.email, only_available=False).options
            names = {option.code: option.name for option in levels}
            ctx.say(
                "membership_number.yours",
                number=membership["number"],
                level=names.get(membership["level"], membership["level"]),
                status=Key(f"membership_number.status_{membership['status']}"),
            )
            return
        invited = state["invitation"]["status"] != InvitationStatus.NONE.value
        buttons = [Button("menu.levels", "flow:level_choice")] if own_flow and invited else []
        ctx.say("membership_number.none", *buttons)
