"""R5/R6: the member's products on "My Products": each with its tick and points, or what
it still misses, and a button that completes that one product (the fix_details flow).

No step of its own: the list is the answer. A button pressed later reopens this flow,
which hands that product over to fix_details.
"""

from __future__ import annotations

import re

from bot.domain.services.points import points_summary
from bot.flows.base import Flow
from bot.flows.context import Context
from bot.flows.goals.points import product_lines
from bot.flows.messages import Button

COMPLETE = "my_products:"  # + the registration's id
# "show me my products", "quali prodotti ho?", "welche Produkte habe ich?", "mes produits"
ASKED = re.compile(
    r"\b((show|list|see|view|check)( me)?( all)? my (registered )?products|"
    r"what products (do )?i have|"
    r"which products (do )?i have|my products list|"
    r"(mostra|mostrami|elenca|elencami|fammi vedere|vedere)( tutti)? i (miei )?prodotti|"
    r"quali prodotti ho|che prodotti ho|elenco dei (miei )?prodotti|"
    r"(zeig|zeige|zeigen sie)( mir)?( bitte)?( alle)? meine produkte|welche produkte habe ich|"
    r"liste meiner produkte|"
    r"(montrez|montre|affichez|afficher|voir)(-moi)?( tous)? mes produits|"
    r"quels produits (ai-je|j'ai)|"
    r"liste de mes produits|"
    r"(muestreme|muestrame|ensename|enseneme|ver|mostrar)( todos)? mis productos|"
    r"que productos tengo|lista de mis productos)\b"
)


class MyProducts(Flow):
    name = "my_products"
    payloads = frozenset({"my_products"})
    asked_by = ASKED

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
