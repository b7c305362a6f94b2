"""R5/R6: the member's products on "My Products": each with its tick and points, or what
it still misses, and a button that completes that one product (the fix_details flow).

No step of its own: the list is the answer. A button pressed later reopens this flow,
which hands that product over to fix_details.
"""

from __future__ import annotations

from bot.domain.services.points import points_summary
from bot.flows.base import Flow
from bot.flows.context import Context
from bot.flows.goals.points import product_lines
from bot.flows.messages import Button

COMPLETE = "my_products:"  # + the registration's id


class MyProducts(Flow):
    name = "my_products"
    payloads = frozenset({"my_products"})

    def start(self, ctx: Context) -> None:
        assert ctx.email is not None
        ctx.finish()
        pressed = (ctx.payload or "").removeprefix(COMPLETE)
        if pressed.isdigit():
            ctx.hand_over("fix_details", only=int(pressed))
            return
        products = points_summary(ctx.uow(), ctx.email).products
        if not products:
            ctx.say("my_products.none", Button("menu.register", "flow:register_product"))
            return
        lines = product_lines(products, flow=self.name)
        complete = [
            Button("my_products.complete", f"{COMPLETE}{p.registration_id}", {"model": p.model})
            for p in products
            if not p.points_assigned
        ]
        register = Button("menu.register", "flow:register_product")
        ctx.say("my_products.list", *complete, register, lines=lines)
