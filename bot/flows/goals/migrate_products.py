"""R3/R4: bring the products over from the old CPS account, or say kindly why it can't be done.

R3: show what will come over (and what each product still lacks), ask, migrate, then show
the ticks, the new total and the invitation news. R4: explain, then offer to register the
products again or to hand the case, with this conversation, to CPS priority support.
"""

from __future__ import annotations

from typing import Any

from bot.domain import errors
from bot.domain.services.migration import MigrationOutcome, migrate_products, migration_preview
from bot.flows.base import Flow, yes_no
from bot.flows.context import Context
from bot.flows.goals.handoff import escalate
from bot.flows.messages import Button, Key, Reply

SUPPORT = "migrate:support"


def _missing(details: Any) -> list[Key]:
    return [Key(f"detail.{d}") for d in details]


class MigrateProducts(Flow):
    name = "migrate_products"
    intents = frozenset({"migrate_products"})

    def start(self, ctx: Context) -> None:
        assert ctx.email is not None
        try:
            preview = migration_preview(ctx.uow(), ctx.email)
        except errors.MigrationNotOffered as refused:
            self._not_offered(ctx, refused.reason)
            return
        except errors.AlreadyMigrated:
            self._already(ctx)
            return
        if not preview.products:
            ctx.finish()
            ctx.say("migrate_products.nothing", Button("menu.register", "flow:register_product"))
            return
        ctx.data["old_email"] = preview.legacy_email
        ctx.data["products"] = [
            {"model": p.model, "missing": [d.value for d in p.missing]} for p in preview.products
        ]
        ctx.goto("confirm")
        self.reprompt(ctx)

    def reprompt(self, ctx: Context) -> None:
        if ctx.step == "confirm":
            lines = [
                Reply("migrate_products.preview_missing", {"model": p["model"], "missing": m})
                if (m := _missing(p["missing"]))
                else Reply("migrate_products.preview_complete", {"model": p["model"]})
                for p in ctx.data["products"]
            ]
            ctx.say(
                "migrate_products.preview", *yes_no(), old_email=ctx.data["old_email"], lines=lines
            )
        elif ctx.step == "no_migration":
            ctx.say(f"migrate_products.not_offered_{ctx.data['reason']}", *self._choices())

    def handoff_reason(self, ctx: Context) -> str | None:
        """R4: asking for a person where migration was refused is the priority-support case."""
        return "no_migration" if ctx.step == "no_migration" else None

    def handle(self, ctx: Context) -> bool:
        if ctx.step == "confirm":
            return self._confirm(ctx)
        if ctx.step == "no_migration":
            return self._choose(ctx)
        return False

    # -- R3 ------------------------------------------------------------------------------
    def _confirm(self, ctx: Context) -> bool:
        assert ctx.email is not None
        if ctx.said_no():
            ctx.finish()
            ctx.say("migrate_products.declined", Button("menu.migrate", "flow:migrate_products"))
            return True
        if not ctx.said_yes():
            return False
        try:
            outcome = migrate_products(ctx.uow(), ctx.email)
        except errors.MigrationNotOffered as refused:
            self._not_offered(ctx, refused.reason)
            return True
        except errors.AlreadyMigrated:
            self._already(ctx)
            return True
        ctx.finish()
        self._done(ctx, outcome)
        return True

    def _done(self, ctx: Context, outcome: MigrationOutcome) -> None:
        lines: list[Reply] = [
            Reply("migrate_products.line_tick", {"model": line.model, "points": line.points})
            if line.points_assigned
            else Reply(
                "migrate_products.line_missing",
                {"model": line.model, "points": line.points, "missing": _missing(line.missing)},
            )
            for line in outcome.migrated
        ]
        lines += [
            Reply("migrate_products.line_skipped", {"model": s.model}) for s in outcome.skipped
        ]
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
            "migrate_products.done",
            *buttons,
            lines=lines,
            total=outcome.total_points,
            invitation=news,
        )

    def _already(self, ctx: Context) -> None:
        ctx.finish()
        ctx.say("migrate_products.already_migrated", Button("menu.points", "flow:points"))

    # -- R4 ------------------------------------------------------------------------------
    def _not_offered(self, ctx: Context, reason: str) -> None:
        ctx.data["reason"] = reason
        ctx.goto("no_migration")
        self.reprompt(ctx)

    @staticmethod
    def _choices() -> tuple[Button, Button]:
        return (
            Button("migrate_products.register_again", "flow:register_product"),
            Button("migrate_products.priority_support", SUPPORT),
        )

    def _choose(self, ctx: Context) -> bool:
        assert ctx.email is not None
        if ctx.payload == SUPPORT:
            number, _ = escalate(ctx, "no_migration")
            ctx.finish()
            ctx.say("migrate_products.escalated", number=str(number))
            return True
        if ctx.payload == "flow:register_product" or ctx.intent == "register_product":
            ctx.finish()
            ctx.state["resume"] = "register_product"  # the router starts it
            return True
        return False
