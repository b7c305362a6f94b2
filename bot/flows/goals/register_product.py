"""R2: register a product on "My Products", with the four details that earn its points (R5).

The details named in the first message are not asked again; the summary confirms, or
changes any field. Best guesses are welcome, except for the
serial (R6); reaching 500 points sends the invitation (R7), and the member is told.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from bot.domain import errors
from bot.domain.services.products import register_product
from bot.flows.context import Context
from bot.flows.form import DONE, KEPT, SAID, Ask, Form, Outcome
from bot.flows.goals import product_details as pd
from bot.flows.messages import Button, Reply
from bot.nlu.entities.products import Product
from bot.nlu.entities.serials import check_serial
from bot.nlu.entities.text import fold

FIELDS = ("model", *pd.STEPS)
REGISTER_VERB = re.compile(r"\b(registr\w*|register\w*|enregistr\w*|anmeld\w*|aggiung\w*|add)\b")
MODEL_WORD = re.compile(
    r"(?i)rf|ef|eos|canon|mark|mk|ii|iii|iv|is|usm|stm|l|z|f/?[\d.,]+l?|[^\s]*\d[^\s]*"
)
MENTIONS = {  # a field named at the summary: "cambia il seriale", "the date is wrong"
    "model": r"modell\w*|model|modele|modelo|prodott\w*|product\w*|produkt\w*|produit|producto",
    "serial": r"serial\w*|serie|seriennummer|numero de serie",
    "date": r"data|date|datum|fecha|quando|when|wann|quand|cuando|kaufdatum",
    "country": r"paese|nazione|country|land|pays|pais",
    "dealer": r"rivenditore|negozio|dealer|shop|store|handler|laden|revendeur|magasin|"
    r"distribuidor|tienda|vendedor",
}


class Step(StrEnum):
    MODEL = "model"  # which product, from the catalogue
    SERIAL = "serial"  # the four details: the shared product_details sub-steps
    DATE = "date"
    COUNTRY = "country"
    DEALER = "dealer"
    SUMMARY = "summary"  # confirm, or change any field


@dataclass
class Data(pd.DetailsData):
    """slots["model"] is the product's code; the four details as in DetailsData."""


def next_missing(ctx: Context, data: Data) -> Outcome:
    """The first field not answered yet, else the summary."""
    return Step(next((f for f in FIELDS if f not in data.slots), Step.SUMMARY))


def ask_model(ctx: Context, data: Data) -> None:
    ctx.say("register_product.ask_model")


def model_given(ctx: Context, data: Data) -> Outcome:
    catalogue = ctx.services.catalogue
    payload, named = ctx.payload or "", ctx.entity("product") or ""
    if payload.startswith("product:") and payload[8:] in catalogue.by_code:
        set_model(ctx, data, payload[8:])
    elif payload or not ctx.text:
        return None
    elif named in catalogue.by_code:  # the NLU names products by code
        set_model(ctx, data, named)
        pd.prefill(ctx, data)
    else:
        said = _model_words(ctx.text)
        if not re.search(r"\d", said):  # every model has a digit: "non lo so" is no lens
            return None
        match = catalogue.match(said)
        pd.prefill(ctx, data)
        if match.product is None:
            not_sure(ctx, said, match.candidates)
            return SAID
        set_model(ctx, data, match.product.code)
        pd.prefill(ctx, data)  # a serial is read once the model is known
    return KEPT


def all_given(data: Data) -> bool:
    return all(f in data.slots for f in FIELDS)


def summary(ctx: Context, data: Data) -> None:
    assert data.serial_format is not None
    slots = data.slots
    lines = [Reply("register_product.line_model", {"value": data.serial_format["product"]})] + [
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


def confirmed(ctx: Context, data: Data) -> Outcome:
    payload, text = ctx.payload or "", fold(ctx.text)
    wanted = payload.removeprefix("change:") if payload.startswith("change:") else None
    if wanted is None and not payload:
        named = (f for f, words in MENTIONS.items() if re.search(rf"\b({words})\b", text))
        wanted = next(named, None)
        if wanted is not None and changed_in_words(ctx, data, wanted):
            return Step.SUMMARY
    if wanted in FIELDS:
        return Step(wanted)
    if ctx.said_no():
        ctx.say("register_product.what_to_change")
        return Step.SUMMARY
    if not ctx.said_yes():
        return None
    return registered(ctx, data)


def changed_in_words(ctx: Context, data: Data, field: str) -> bool:
    """ "actually the date was march 2021": the field named and its new value in one
    message, taken at once (a dealer only when it is one we know, not the sentence)."""
    if field not in pd.STEPS:
        return False
    if field == "dealer" and not ctx.services.dealers.find(ctx.text):
        return False
    found = pd.PARSERS[field](ctx, ctx.text, data.slots, data.family())
    if not isinstance(found, dict):
        return False
    data.slots[field] = found
    return True


FIELD_STEPS = tuple(Step(f) for f in FIELDS)
ANY = (*FIELD_STEPS, Step.SUMMARY)
STEPS = {
    Step.MODEL: Ask(ask_model, model_given, then=next_missing, goes_to=ANY),
    **pd.detail_steps(Step, "register_product", then=next_missing, goes_to=ANY),
    Step.SUMMARY: Ask(summary, confirmed, goes_to=FIELD_STEPS, ready=all_given),
}


class RegisterProduct(Form):
    name = "register_product"
    intents = frozenset({"register_product"})
    Step, Data, STEPS = Step, Data, STEPS
    back_to_first = False  # a model named in the first message was never asked: no "Back"

    def asked_for(self, ctx: Context, folded: str) -> bool:
        """A model named with "register" in any words ("non vedo il pulsante blu, allora
        registro di nuovo la mia r5 mk2"), whatever else the sentence is about."""
        return ctx.entity("product") is not None and REGISTER_VERB.search(folded) is not None

    def begin(self, ctx: Context, data: Data) -> Outcome:
        said = ctx.payload is None and (  # not a resumed flow's turn
            ctx.intent in self.intents or self.asked_for(ctx, fold(ctx.text))
        )
        if said and (ctx.entity("product") or re.search(r"\d", ctx.text)):
            named = model_given(ctx, data)
            if named is not None:  # KEPT: on to what is missing; SAID: "which model?"
                return next_missing(ctx, data) if named is KEPT else SAID
        if said:
            pd.prefill(ctx, data)
        return next_missing(ctx, data)


def set_model(ctx: Context, data: Data, code: str) -> None:
    serial = data.serial_format = pd.serial_of(ctx, code)
    data.slots["model"] = code
    typed = data.slots.get("serial", {}).get("value")
    if typed and not check_serial(typed, data.family()).value:  # e.g. now a lens
        del data.slots["serial"]
        ctx.say("register_product.serial_dropped", model=serial["product"])


def not_sure(ctx: Context, said: str, candidates: tuple[Product, ...]) -> None:
    if not candidates:
        ctx.say("register_product.unknown_model", text=said[:60])
        return
    choices = [
        Button("register_product.value", f"product:{p.code}", {"value": p.name})
        for p in candidates[:5]
    ]
    ctx.say("register_product.which_model", *choices)


def registered(ctx: Context, data: Data) -> Outcome:
    """The domain call: the product on My Products, its points, the invitation news (R7)."""
    assert ctx.email is not None
    slots = data.slots
    try:
        outcome = register_product(ctx.uow(), ctx.email, slots["model"], pd.details(slots))
    except errors.DomainError as error:
        if not pd.refused(ctx, error, slots):
            raise
        return next_missing(ctx, data)
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
    return DONE


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
