"""What's next: the member's own checklist along the guide, each open item a button that
starts its flow. Asked in words ("what do I still need to do to join?"), from the menu,
and what /start shows a linked member.

No step of its own: the checklist is the answer.
"""

from __future__ import annotations

import re

from bot.domain.services.checklist import DONE, OPEN, joining_checklist
from bot.flows.base import Flow
from bot.flows.context import Context
from bot.flows.messages import Button, Key, Reply

MARK = {DONE: "next_steps.line_done", OPEN: "next_steps.line_open"}
# the flow an open item starts, and its button's label
STARTS = {
    "password": Button("menu.password", "flow:password"),
    "migration": Button("menu.migrate", "flow:migrate_products"),
    "products": Button("menu.register", "flow:register_product"),
    "ticks": Button("menu.fix", "flow:fix_details"),
    "points": Button("menu.register", "flow:register_product"),
    "level": Button("menu.levels", "flow:level_choice"),
}
ASKED = re.compile(
    r"\b(what(('s| is) next| do i (still )?(need|have) to do| else do i need| am i missing)|"
    r"next steps?|how far am i|my checklist|"
    r"cosa (mi manca|devo (ancora )?fare)|che cosa mi manca|prossim[oi] pass[oi]|"
    r"a che punto sono|"
    r"was (fehlt( mir)?( noch)?|muss ich (noch|jetzt) (tun|machen))|nachste[rn]? schritte?|"
    r"wie weit bin ich|"
    r"qu'est-ce qu'il me (manque|reste)|que me reste-t-il|(la )?prochaine etape|"
    r"ou en suis-je|"
    r"que me falta|que (me queda|tengo que hacer)( todavia)?|(el )?(siguiente|proximo) paso|"
    r"como voy)\b"
)


class NextSteps(Flow):
    name = "next_steps"
    asked_by = ASKED

    def start(self, ctx: Context) -> None:
        assert ctx.email is not None
        welcome = bool(ctx.data.get("welcome"))  # /start: a greeting before the checklist
        ctx.finish()
        items = joining_checklist(ctx.uow(), ctx.email)
        lines = [
            Reply(
                MARK.get(item.state, "next_steps.line_info"),
                {"text": Reply(f"next_steps.{item.name}_{item.detail}", _shown(item.params))},
            )
            for item in items
        ]
        opened = [STARTS[i.name] for i in items if i.state == OPEN and i.name in STARTS]
        menu = Button("next_steps.menu", "cmd:menu")
        if not any(i.state == OPEN for i in items):  # "waiting" and R4 lines are not to do
            ctx.say("next_steps.all_done", menu, lines=lines)
            return
        key = "next_steps.welcome" if welcome else "next_steps.list"
        unique = list({b.payload: b for b in opened}.values())
        ctx.say(key, *unique, menu, lines=lines)


def _shown(params: dict[str, object]) -> dict[str, object]:
    """Codes as the member reads them: the level's name, the payment method's words."""
    shown = dict(params)
    if "level" in shown:
        shown["level"] = str(shown["level"]).title()
    if "missing" in shown:
        shown["missing"] = [Key(f"detail.{d}") for d in shown["missing"]]  # type: ignore[attr-defined]
    if "method" in shown:
        shown["method"] = Key(f"payment.{shown['method']}")
    return shown
