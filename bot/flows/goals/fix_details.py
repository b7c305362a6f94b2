"""R5/R6: complete the details of products without a green tick, one product at a time.

Only what a product misses is asked; a best guess completes the date, country or dealer,
never the serial (where to find it is explained instead, and the product can be skipped).
Each product is saved as soon as it is complete; at the end, the total and R7 news.
"""

from __future__ import annotations

import re
from typing import Any

from bot.domain import errors
from bot.domain.services.points import points_summary
from bot.domain.services.products import RegistrationOutcome, complete_details
from bot.domain.types import Detail
from bot.flows.base import Flow
from bot.flows.context import Context
from bot.flows.goals import product_details as pd
from bot.flows.messages import Button, Key
from bot.nlu.entities.text import fold

SKIP_WORDS = re.compile(r"(salta|skip|next|prossimo|avanti|dopo|later)( \w+)?")


class FixDetails(Flow):
    name = "fix_details"
    intents = frozenset({"fix_product_details"})

    def start(self, ctx: Context) -> None:
        assert ctx.email is not None
        summary = points_summary(ctx.uow(), ctx.email)
        todo = [
            {
                "id": line.registration_id,
                "model": line.model,
                "missing": [detail.value for detail in line.missing],
            }
            for line in summary.products
            if not line.points_assigned
        ]
        if not todo:
            key = "fix_details.all_ticked" if summary.products else "fix_details.no_products"
            ctx.say(key, Button("menu.register", "flow:register_product"), total=summary.total)
            ctx.finish()
            return
        ctx.data.update(todo=todo, skipped=[], total=summary.total, invited=False)
        if len(todo) > 1:
            ctx.say("fix_details.intro", models=[item["model"] for item in todo])
        self._product(ctx)

    def reprompt(self, ctx: Context) -> None:
        pd.ask(ctx, self.name, ctx.step or "serial", self._skip_button())

    def handle(self, ctx: Context) -> bool:
        if ctx.payload == "fix_details:skip" or (
            not ctx.payload and SKIP_WORDS.fullmatch(fold(ctx.text))
        ):
            self._skip(ctx)
            return True
        slots = ctx.data["slots"]
        kept = pd.read(ctx, self.name, slots, self._skip_button())
        if kept:
            self._next(ctx)
        return kept is not None

    @staticmethod
    def _skip_button() -> Button:
        return Button("fix_details.skip", "fix_details:skip")

    def _product(self, ctx: Context) -> None:
        """Start the next product of the list, or end when none is left."""
        if not ctx.data["todo"]:
            self._end(ctx)
            return
        item = ctx.data["todo"][0]
        ctx.data["slots"] = {}
        ctx.data["serial"] = pd.serial_of(ctx, item["model"])
        ctx.state.update(step=None, history=[])  # back never returns to a saved product
        missing = [Key(f"detail.{detail}") for detail in item["missing"]]
        ctx.say("fix_details.product", model=item["model"], missing=missing)
        self._next(ctx)

    def _next(self, ctx: Context) -> None:
        item, slots = ctx.data["todo"][0], ctx.data["slots"]
        steps = (pd.STEP_OF[Detail(detail)] for detail in item["missing"])
        step = next((step for step in steps if step not in slots), None)
        if step is None:
            self._save(ctx)
            return
        ctx.goto(step)
        self.reprompt(ctx)

    def _save(self, ctx: Context) -> None:
        outcome = self._complete(ctx)
        if outcome is None:  # refused: the refused detail is asked again, the rest is kept
            self._next(ctx)
            return
        line = outcome.product
        ctx.say("fix_details.ticked", model=line.model, points=line.points)
        ctx.data["todo"].pop(0)
        self._product(ctx)

    def _skip(self, ctx: Context) -> None:
        if ctx.data["slots"]:  # what the member did give is kept, even without a tick
            self._complete(ctx)
        item = ctx.data["todo"].pop(0)
        ctx.data["skipped"].append(item["model"])
        ctx.say("fix_details.skipped", model=item["model"])
        self._product(ctx)

    def _complete(self, ctx: Context) -> RegistrationOutcome | None:
        assert ctx.email is not None
        item, slots = ctx.data["todo"][0], ctx.data["slots"]
        try:
            outcome = complete_details(ctx.uow(), ctx.email, item["id"], pd.details(slots))
        except errors.DomainError as error:
            if not pd.refused(ctx, error, slots):
                raise
            return None
        ctx.data["total"] = outcome.total_points
        ctx.data["invited"] = ctx.data["invited"] or outcome.invitation_issued
        return outcome

    def _end(self, ctx: Context) -> None:
        data: dict[str, Any] = ctx.data
        ctx.finish()
        if data["skipped"]:
            ctx.say("fix_details.end_skipped", total=data["total"], models=data["skipped"])
        else:
            ctx.say("fix_details.end", total=data["total"])
        pd.invitation_news(ctx, data["total"], data["invited"])
