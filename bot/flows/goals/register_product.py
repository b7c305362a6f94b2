"""R2: register a product on "My Products", with the four details that earn its points (R5).

Steps: model, serial, date, country, dealer (skipped when the first message named them),
then a summary to confirm or change any field. Best guesses are welcome, except for the
serial (R6); reaching 500 points sends the invitation (R7), and the member is told.
"""

from __future__ import annotations

import re
from typing import Any

from bot.domain import errors
from bot.domain.services.products import register_product
from bot.flows.base import Flow
from bot.flows.context import Context
from bot.flows.goals import product_details as pd
from bot.flows.messages import Button, Reply
from bot.nlu.entities.products import Product
from bot.nlu.entities.serials import check_serial
from bot.nlu.entities.text import fold

FIELDS = ("model", *pd.STEPS)
MODEL_WORD = re.compile(
    r"(?i)rf|ef|eos|canon|mark|mk|ii|iii|iv|is|usm|stm|l|z|f/?[\d.,]+l?|[^\s]*\d[^\s]*"
)
MENTIONS = {  # a field named at the summary: "cambia il seriale", "the date is wrong"
    "model": r"modell\w*|model|prodott\w*|product",
    "serial": r"serial\w*|serie",
    "date": r"data|date|quando|when",
    "country": r"paese|nazione|country",
    "dealer": r"rivenditore|negozio|dealer|shop|store",
}


class RegisterProduct(Flow):
    name = "register_product"
    intents = frozenset({"register_product"})

    def start(self, ctx: Context) -> None:
        ctx.data["slots"] = {}
        ctx.goto("model")
        said = ctx.payload is None and ctx.intent in self.intents  # not a resumed flow's turn
        if said and (ctx.entity("product") or re.search(r"\d", ctx.text)) and self._model(ctx):
            return
        if said:
            pd.prefill(ctx, self._slots(ctx))
        self._next(ctx)

    def reprompt(self, ctx: Context) -> None:
        if ctx.step == "model":
            ctx.say("register_product.ask_model")
        elif ctx.step == "summary":
            self._summary(ctx)
        else:
            pd.ask(ctx, self.name, ctx.step or "serial")

    def handle(self, ctx: Context) -> bool:
        if ctx.step == "model":
            return self._model(ctx)
        if ctx.step == "summary":
            return self._confirm(ctx)
        kept = pd.read(ctx, self.name, self._slots(ctx))
        if kept:
            self._next(ctx)
        return kept is not None

    @staticmethod
    def _slots(ctx: Context) -> dict[str, Any]:
        return ctx.data.setdefault("slots", {})

    def _next(self, ctx: Context) -> None:
        slots = self._slots(ctx)
        ctx.goto(next((field for field in FIELDS if field not in slots), "summary"))
        self.reprompt(ctx)

    def _set_model(self, ctx: Context, code: str) -> None:
        slots = self._slots(ctx)
        serial = ctx.data["serial"] = pd.serial_of(ctx, code)
        slots["model"] = code
        typed = slots.get("serial", {}).get("value")
        if typed and not check_serial(typed, pd.family(serial)).value:  # e.g. now a lens
            del slots["serial"]
            ctx.say("register_product.serial_dropped", model=serial["product"])

    def _model(self, ctx: Context) -> bool:
        catalogue = ctx.services.catalogue
        payload, named = ctx.payload or "", ctx.entity("product") or ""
        if payload.startswith("product:") and payload[8:] in catalogue.by_code:
            self._set_model(ctx, payload[8:])
        elif payload or not ctx.text:
            return False
        elif named in catalogue.by_code:  # the NLU names products by code
            self._set_model(ctx, named)
            pd.prefill(ctx, self._slots(ctx))
        else:
            said = _model_words(ctx.text)
            if not re.search(r"\d", said):  # every model has a digit: "non lo so" is no lens
                return False
            match = catalogue.match(said)
            pd.prefill(ctx, self._slots(ctx))
            if match.product is None:
                self._not_sure(ctx, said, match.candidates)
                return True
            self._set_model(ctx, match.product.code)
            pd.prefill(ctx, self._slots(ctx))  # a serial is read once the model is known
        self._next(ctx)
        return True

    def _not_sure(self, ctx: Context, said: str, candidates: tuple[Product, ...]) -> None:
        if not candidates:
            ctx.say("register_product.unknown_model", text=said[:60])
            return
        choices = [
            Button("register_product.value", f"product:{p.code}", {"value": p.name})
            for p in candidates[:5]
        ]
        ctx.say("register_product.which_model", *choices)

    def _summary(self, ctx: Context) -> None:
        slots, serial = self._slots(ctx), ctx.data["serial"]
        lines = [Reply("register_product.line_model", {"value": serial["product"]})] + [
            Reply(f"register_product.line_{step}", {"value": pd.shown(ctx, slots[step], step)})
            for step in pd.STEPS
        ]
        points = ctx.services.catalogue.by_code[slots["model"]].points
        ctx.say(
            "register_product.summary",
            Button("register_product.confirm", "yes"),
            *(Button(f"register_product.change_{f}", f"change:{f}") for f in FIELDS),
            lines=lines,
            points=points,
        )

    def _confirm(self, ctx: Context) -> bool:
        payload, text = ctx.payload or "", fold(ctx.text)
        wanted = payload.removeprefix("change:") if payload.startswith("change:") else None
        if wanted is None and not payload:
            named = (f for f, words in MENTIONS.items() if re.search(rf"\b({words})\b", text))
            wanted = next(named, None)
        if wanted in FIELDS:
            ctx.goto(wanted)
            self.reprompt(ctx)
            return True
        if ctx.said_no():
            ctx.say("register_product.what_to_change")
            self._summary(ctx)
            return True
        if not ctx.said_yes():
            return False
        self._register(ctx)
        return True

    def _register(self, ctx: Context) -> None:
        assert ctx.email is not None
        slots = self._slots(ctx)
        try:
            outcome = register_product(ctx.uow(), ctx.email, slots["model"], pd.details(slots))
        except errors.DomainError as error:
            if not pd.refused(ctx, error, slots):
                raise
            self._next(ctx)
            return
        ctx.finish()
        line = outcome.product
        ctx.say(
            "register_product.done",  # four details given: the tick is certain (R5)
            Button("menu.register", "flow:register_product"),
            model=line.model,
            points=line.points,
            total=outcome.total_points,
        )
        pd.invitation_news(ctx, outcome.total_points, outcome.invitation_issued)


def _model_words(text: str) -> str:
    """The model in a sentence: "I want to register my RF 70-200 f4" -> "RF 70-200 f4"."""
    words = text.split()
    first = next((i for i, word in enumerate(words) if re.search(r"\d", word)), None)
    if first is None:
        return text
    start, end = first, first + 1
    while start > 0 and MODEL_WORD.fullmatch(words[start - 1]):
        start -= 1
    while end < len(words) and MODEL_WORD.fullmatch(words[end]):
        end += 1
    return " ".join(words[start:end])
