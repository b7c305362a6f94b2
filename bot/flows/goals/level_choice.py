"""R8: choose a CPS level among those the points unlock, with the "available levels" switch.

The choosing itself is the shared sub-step of `levels`; once a level is chosen the
conversation is handed over to the payment flow (R9-R13).
"""

from __future__ import annotations

from bot.flows.base import Flow
from bot.flows.context import Context
from bot.flows.goals.levels import (
    answer_level,
    blocked,
    choose,
    method_in,
    show_levels,
    switch_in,
    tier_in,
)


class LevelChoice(Flow):
    name = "level_choice"
    intents = frozenset({"choose_tier"})
    payloads = frozenset({"level", "levels"})

    def start(self, ctx: Context) -> None:
        if blocked(ctx):
            return
        ctx.goto("level")
        ctx.data["method"] = method_in(ctx)
        code = tier_in(ctx)
        if code is None:
            ctx.data["all"] = bool(switch_in(ctx))
            show_levels(ctx)
        elif choose(ctx, code):
            self.continue_to_payment(ctx)

    def reprompt(self, ctx: Context) -> None:
        show_levels(ctx)

    def handle(self, ctx: Context) -> bool:
        chosen = answer_level(ctx)
        if chosen:
            self.continue_to_payment(ctx)
        return chosen is not None

    @staticmethod
    def continue_to_payment(ctx: Context) -> None:
        data = {k: ctx.data[k] for k in ("level", "level_name", "all", "method") if k in ctx.data}
        ctx.hand_over("payment", **data)
