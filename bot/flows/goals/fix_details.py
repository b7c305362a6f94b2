"""R5/R6: complete the details of products without a green tick, one product at a time.

Only what a product misses is asked (the shared product_details sub-steps); a best guess
completes the date, country or dealer, never the serial (where to find it is explained
instead, and the product can be skipped). Each product is saved as soon as it is
complete; at the end, the total and R7 news.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bot.domain import errors
from bot.domain.services.points import points_summary
from bot.domain.services.products import RegistrationOutcome, complete_details
from bot.domain.types import Detail
from bot.flows.context import Context
from bot.flows.form import DONE, Form, Move, Outcome
from bot.flows.goals import product_details as pd
from bot.flows.messages import Button, Key
from bot.nlu.entities.products import names_model
from bot.nlu.entities.text import fold

SKIP = "fix_details:skip"
SKIP_WORDS = re.compile(r"(salta|skip|next|prossimo|avanti|dopo|later)( \w+)?")


class Step(StrEnum):
    SERIAL = "serial"  # the shared product_details sub-steps, only those a product misses
    DATE = "date"
    COUNTRY = "country"
    DEALER = "dealer"


@dataclass
class Data(pd.DetailsData):
    todo: list[dict[str, Any]] = field(default_factory=list)  # id, model, missing[]
    skipped: list[str] = field(default_factory=list)  # models left for later
    total: int = 0  # the member's points, as the last save left them
    invited: bool = False  # an invitation was issued on the way (R7)
    only: int | None = None  # one registration chosen (My products), else all without tick


def skipped(ctx: Context, data: Data) -> Outcome:
    """ "Skip" (button or word) at any detail: what was given is kept, on to the next."""
    if ctx.payload != SKIP and (ctx.payload or not SKIP_WORDS.fullmatch(fold(ctx.text))):
        return None
    if data.slots:  # what the member did give is kept, even without a tick
        completed(ctx, data)
    item = data.todo.pop(0)
    data.skipped.append(item["model"])
    ctx.say("fix_details.skipped", model=item["model"])
    return next_product(ctx, data)


def next_detail(ctx: Context, data: Data) -> Outcome:
    """The product's next missing detail; when none is left, save it and go on."""
    item = data.todo[0]
    steps = (pd.STEP_OF[Detail(detail)] for detail in item["missing"])
    step = next((step for step in steps if step not in data.slots), None)
    if step is not None:
        return Step(step)
    outcome = completed(ctx, data)
    if outcome is None:  # refused: the refused detail is asked again, the rest is kept
        return next_detail(ctx, data)
    ctx.say("fix_details.ticked", model=outcome.product.model, points=outcome.product.points)
    data.todo.pop(0)
    return next_product(ctx, data)


ALL = tuple(Step)
STEPS = pd.detail_steps(
    Step,
    "fix_details",
    then=next_detail,
    goes_to=ALL,
    extra=(Button("fix_details.skip", SKIP),),
    first=skipped,
)


class FixDetails(Form):
    name = "fix_details"
    intents = frozenset({"fix_product_details"})
    Step, Data, STEPS = Step, Data, STEPS

    def begin(self, ctx: Context, data: Data) -> Outcome:
        assert ctx.email is not None
        summary = points_summary(ctx.uow(), ctx.email)
        data.todo = [
            {
                "id": line.registration_id,
                "model": line.model,
                "missing": [detail.value for detail in line.missing],
            }
            for line in summary.products
            if not line.points_assigned
        ]
        named = [item for item in data.todo if names_model(ctx.text, item["model"])]
        if data.only is None and named:  # "il mio 70-200 non ha la spunta": that one
            data.only = named[0]["id"]
        if any(item["id"] == data.only for item in data.todo):
            data.todo = [item for item in data.todo if item["id"] == data.only]
        if not data.todo:
            key = "fix_details.all_ticked" if summary.products else "fix_details.no_products"
            ctx.say(key, Button("menu.register", "flow:register_product"), total=summary.total)
            ctx.finish()
            return DONE
        data.total = summary.total
        if len(data.todo) > 1:
            ctx.say("fix_details.intro", models=[item["model"] for item in data.todo])
        return next_product(ctx, data)


def next_product(ctx: Context, data: Data) -> Outcome:
    """Start the next product of the list (back never returns to a saved one), or end."""
    if not data.todo:
        return ended(ctx, data)
    item = data.todo[0]
    data.slots, data.serial_format = {}, pd.serial_of(ctx, item["model"])
    missing = [Key(f"detail.{detail}") for detail in item["missing"]]
    ctx.say("fix_details.product", model=item["model"], missing=missing)
    step = next_detail(ctx, data)
    return Move(step, fresh=True) if isinstance(step, Step) else step


def completed(ctx: Context, data: Data) -> RegistrationOutcome | None:
    """The domain call: the details given saved on the registration (None: refused)."""
    assert ctx.email is not None
    item = data.todo[0]
    try:
        outcome = complete_details(ctx.uow(), ctx.email, item["id"], pd.details(data.slots))
    except errors.DomainError as error:
        if not pd.refused(ctx, error, data.slots):
            raise
        return None
    data.total = outcome.total_points
    data.invited = data.invited or outcome.invitation_issued
    return outcome


def ended(ctx: Context, data: Data) -> Outcome:
    ctx.finish()
    if data.skipped:
        ctx.say("fix_details.end_skipped", total=data.total, models=data.skipped)
    else:
        ctx.say("fix_details.end", total=data.total)
    pd.invitation_news(ctx, data.total, data.invited)
    return DONE
