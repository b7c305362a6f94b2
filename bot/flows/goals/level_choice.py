"""R8: choose a CPS level among those the points unlock, with the "available levels" switch.

The choosing itself is the shared sub-step of `levels`; once a level is chosen the
conversation is handed over to the payment flow (R9-R13).
"""

from __future__ import annotations

from enum import StrEnum

from bot.flows.context import Context
from bot.flows.form import DONE, Form, Outcome
from bot.flows.goals.levels import (
    LevelData,
    blocked,
    choose,
    level_step,
    method_in,
    switch_in,
    tier_in,
)


class Step(StrEnum):
    LEVEL = "level"  # the list of levels, with the switch


def to_payment(ctx: Context, data: LevelData) -> Outcome:
    ctx.hand_over("payment", **data.dump())
    return DONE


STEPS = {Step.LEVEL: level_step(Step.LEVEL, then=to_payment)}


class LevelChoice(Form):
    name = "level_choice"
    intents = frozenset({"choose_tier"})
    payloads = frozenset({"level", "levels"})
    Step, Data, STEPS = Step, LevelData, STEPS

    def begin(self, ctx: Context, data: LevelData) -> Outcome:
        if blocked(ctx):
            return DONE
        data.method = method_in(ctx)
        code = tier_in(ctx)
        if code is None:
            data.all = bool(switch_in(ctx))
        elif choose(ctx, data, code):
            return to_payment(ctx, data)
        return Step.LEVEL
