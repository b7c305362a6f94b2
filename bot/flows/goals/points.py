"""Points and invitation status (R5, R7): total, per-product ticks, what is still needed."""

from __future__ import annotations

from bot.domain import errors
from bot.domain.services.migration import migration_preview
from bot.domain.services.points import ProductLine, points_summary
from bot.domain.types import InvitationStatus
from bot.flows.base import Flow
from bot.flows.context import Context
from bot.flows.messages import Button, Key, Reply


def product_lines(products: tuple[ProductLine, ...], flow: str = "points") -> list[Reply]:
    """One line per product: its tick and points, or its points waiting and what it misses
    (in `flow`'s texts: <flow>.line_tick, <flow>.line_missing)."""
    return [
        Reply(f"{flow}.line_tick", {"model": line.model, "points": line.points})
        if line.points_assigned
        else Reply(
            f"{flow}.line_missing",
            {
                "model": line.model,
                "points": line.points,
                "missing": [Key(f"detail.{d.value}") for d in line.missing],
            },
        )
        for line in products
    ]


class Points(Flow):
    name = "points"
    intents = frozenset({"check_points", "invitation_status"})

    def start(self, ctx: Context) -> None:
        assert ctx.email is not None
        summary = points_summary(ctx.uow(), ctx.email)
        lines = product_lines(summary.products)
        waiting = 0 if lines else migratable(ctx)
        if not lines:  # none yet: the old account's, when they can come over (R3)
            migrate = Reply("points.can_migrate", {"count": waiting})
            lines = [migrate if waiting else Reply("points.no_products")]
        invitation = {
            InvitationStatus.NONE: Reply(
                "points.invitation_none",
                {"needed": summary.points_to_invitation, "threshold": summary.threshold},
            ),
            InvitationStatus.SENT: Reply("points.invitation_sent"),
            InvitationStatus.ACCEPTED: Reply("points.invitation_accepted"),
        }[summary.invitation]
        buttons = [Button("menu.migrate", "flow:migrate_products")] if waiting else []
        if any(not line.points_assigned for line in summary.products):
            buttons.append(Button("menu.fix", "flow:fix_details"))
        if summary.invitation is not InvitationStatus.NONE:
            buttons.append(Button("menu.levels", "flow:level_choice"))
        buttons.append(Button("menu.register", "flow:register_product"))
        ctx.say("points.summary", *buttons, total=summary.total, lines=lines, invitation=invitation)
        ctx.finish()


def migratable(ctx: Context) -> int:
    """How many products the old account would bring over (0: no migration offered)."""
    assert ctx.email is not None
    try:
        return len(migration_preview(ctx.uow(), ctx.email).products)
    except errors.DomainError:
        return 0
