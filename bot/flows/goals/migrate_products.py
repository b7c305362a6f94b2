"""R3/R4: bring the products over from the old CPS account, or say kindly why it can't be done.

R3: show what will come over (and what each product still lacks), ask, migrate, then show
the ticks, the new total and the invitation news. R4: explain, then offer to register the
products again or to hand the case, with this conversation, to CPS priority support.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bot.domain import errors
from bot.domain.services.events import CANCELLED, DECLINED
from bot.domain.services.migration import MigrationOutcome, migrate_products, migration_preview
from bot.flows.base import yes_no
from bot.flows.context import Context
from bot.flows.form import DONE, Ask, FlowData, Form, Outcome
from bot.flows.goals.handoff import escalate
from bot.flows.messages import Button, Key, Reply

SUPPORT = "migrate:support"


def _missing(details: Any) -> list[Key]:
    return [Key(f"detail.{d}") for d in details]


class Step(StrEnum):
    CONFIRM = "confirm"  # R3: what will come over; shall I?
    NO_MIGRATION = "no_migration"  # R4: why not; register again or priority support


@dataclass
class Data(FlowData):
    old_email: str | None = None
    products: list[dict[str, Any]] = field(default_factory=list)  # model, missing[]
    reason: str | None = None  # why migration is not offered (R4)


def preview(ctx: Context, data: Data) -> None:
    lines = [
        Reply("migrate_products.preview_missing", {"model": p["model"], "missing": m})
        if (m := _missing(p["missing"]))
        else Reply("migrate_products.preview_complete", {"model": p["model"]})
        for p in data.products
    ]
    ctx.say("migrate_products.preview", *yes_no(), old_email=data.old_email, lines=lines)


def confirmed(ctx: Context, data: Data) -> Outcome:
    assert ctx.email is not None
    if ctx.said_no():
        ctx.finish(DECLINED)
        ctx.say("migrate_products.declined", Button("menu.migrate", "flow:migrate_products"))
        return DONE
    if not ctx.said_yes():
        return None
    try:
        outcome = migrate_products(ctx.uow(), ctx.email)
    except (errors.MigrationNotOffered, errors.AlreadyMigrated) as error:
        return refused(ctx, data, error)
    ctx.finish()
    done(ctx, outcome)
    return DONE


def why_not(ctx: Context, data: Data) -> None:
    ctx.say(f"migrate_products.not_offered_{data.reason}", *choices())


def chosen(ctx: Context, data: Data) -> Outcome:
    if ctx.payload == SUPPORT:
        number, _ = escalate(ctx, "no_migration")
        ctx.finish(CANCELLED)  # left for a person (R4)
        ctx.say("migrate_products.escalated", number=str(number))
        return DONE
    if ctx.payload == "flow:register_product" or ctx.intent == "register_product":
        ctx.hand_over("register_product")
        return DONE
    return None


STEPS = {
    Step.CONFIRM: Ask(preview, confirmed, goes_to=(Step.NO_MIGRATION,)),
    # R4: asking for a person where migration was refused is the priority-support case.
    Step.NO_MIGRATION: Ask(why_not, chosen, back=False, person="no_migration"),
}


class MigrateProducts(Form):
    name = "migrate_products"
    intents = frozenset({"migrate_products"})
    Step, Data, STEPS = Step, Data, STEPS

    def begin(self, ctx: Context, data: Data) -> Outcome:
        assert ctx.email is not None
        try:
            found = migration_preview(ctx.uow(), ctx.email)
        except (errors.MigrationNotOffered, errors.AlreadyMigrated) as error:
            return refused(ctx, data, error)
        if not found.products:
            ctx.finish()
            ctx.say("migrate_products.nothing", Button("menu.register", "flow:register_product"))
            return DONE
        data.old_email = found.legacy_email
        data.products = [
            {"model": p.model, "missing": [d.value for d in p.missing]} for p in found.products
        ]
        return Step.CONFIRM


def done(ctx: Context, outcome: MigrationOutcome) -> None:
    """R3 done: each product's tick or what it lacks, the total, the invitation news."""
    lines: list[Reply] = [
        Reply("migrate_products.line_tick", {"model": line.model, "points": line.points})
        if line.points_assigned
        else Reply(
            "migrate_products.line_missing",
            {"model": line.model, "points": line.points, "missing": _missing(line.missing)},
        )
        for line in outcome.migrated
    ]
    lines += [Reply("migrate_products.line_skipped", {"model": s.model}) for s in outcome.skipped]
    threshold = ctx.uow().policy.invitation_points
    if outcome.invitation_issued:
        news = Reply("migrate_products.invited", {"threshold": threshold})
    elif outcome.total_points < threshold:
        news = Reply(
            "migrate_products.not_invited_yet",
            {"needed": threshold - outcome.total_points, "threshold": threshold},
        )
    else:
        news = Reply("migrate_products.already_invited")
    buttons = []
    if any(not line.points_assigned for line in outcome.migrated):
        buttons.append(Button("menu.fix", "flow:fix_details"))
    if outcome.total_points >= threshold:
        buttons.append(Button("menu.levels", "flow:level_choice"))
    buttons.append(Button("menu.points", "flow:points"))
    ctx.say(
        "migrate_products.done", *buttons, lines=lines, total=outcome.total_points, invitation=news
    )


def refused(ctx: Context, data: Data, error: errors.DomainError) -> Outcome:
    """R4 (why not, and what instead), or the products came over already."""
    if isinstance(error, errors.MigrationNotOffered):
        data.reason = error.reason
        return Step.NO_MIGRATION
    ctx.finish()
    ctx.say("migrate_products.already_migrated", Button("menu.points", "flow:points"))
    return DONE


def choices() -> tuple[Button, Button]:
    return (
        Button("migrate_products.register_again", "flow:register_product"),
        Button("migrate_products.priority_support", SUPPORT),
    )
