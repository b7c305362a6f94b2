"""The four details of a registration (R5, R6) as one shared sub-step, declared once and
used by register_product and fix_details: each detail is a step whose prompt says where
to look, whose reader takes a best guess (never for the serial) and explains a problem.

The answers are kept in `DetailsData.slots`, one {"value", "guessed"} per detail (dates
add "precision"); the product's serial format in `serial_format`. The detail texts are
written once, as `register_product.*` keys.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any, ClassVar

from babel import Locale
from babel.dates import format_skeleton

from bot.domain import errors
from bot.domain.services.catalogue_queries import account_country, serial_format
from bot.domain.services.products import Details
from bot.domain.types import DatePrecision, Detail
from bot.flows.context import Context
from bot.flows.form import KEPT, SAID, Ask, FlowData, Outcome, Then
from bot.flows.goals.detail_parsers import ENTITIES, PARSERS, Slot
from bot.flows.messages import Button, Key, Reply
from bot.nlu.entities.dates import UNKNOWN
from bot.nlu.entities.dealers import without_doubt
from bot.nlu.entities.serials import SerialFamily
from bot.nlu.entities.text import fold

T = "register_product"
STEPS = ("serial", "date", "country", "dealer")
STEP_OF = dict(zip(Detail, STEPS, strict=True))  # the domain's order of the four details
DONT_KNOW = re.compile(rf"(?<!\w)({UNKNOWN})(?!\w)")
SOCIAL = frozenset({"greet", "goodbye", "thanks", "affirm"})  # intents that answer no question
WHERE = re.compile(  # "where is the serial?" in five languages
    r"(?<!\w)(dove|where|find|trovo|trovarlo|cerco|wo|finde|finden|steht|ou|trouve|trouver|"
    r"donde|encuentro|encontrar|busco)(?!\w)"
)


@dataclass
class DetailsData(FlowData):
    """The details read so far, and the serial format of the product they belong to."""

    renamed: ClassVar[dict[str, str]] = {"serial": "serial_format"}  # before 2026-12
    slots: dict[str, Slot] = field(default_factory=dict)
    serial_format: dict[str, str] | None = None  # product, pattern, example, location

    def family(self) -> SerialFamily:
        assert self.serial_format is not None
        found = self.serial_format
        return SerialFamily(found["pattern"], found["example"], found["location"])


def detail_steps(
    step: type[StrEnum],
    flow: str,
    then: Then,
    goes_to: tuple[StrEnum, ...],
    extra: tuple[Button, ...] = (),
    first: Callable[[Context, Any], Outcome] | None = None,
) -> dict[StrEnum, Ask]:
    """The four detail steps of `flow` (its Step enum names them serial, date, country,
    dealer); `extra` buttons on each question; `first`: a reader tried before (a skip)."""

    def declared(name: str) -> Ask:
        def prompt(ctx: Context, data: DetailsData) -> None:
            ask(ctx, data, flow, name, *extra)

        def reader(ctx: Context, data: DetailsData) -> Outcome:
            before = first(ctx, data) if first is not None else None
            if before is not None:
                return before
            kept = read(ctx, data, flow, name, *extra)
            return None if kept is None else KEPT if kept else SAID

        return Ask(prompt, reader, then=then, goes_to=goes_to)

    return {step(name): declared(name) for name in STEPS}


def serial_of(ctx: Context, product: str) -> dict[str, str]:
    """Name, pattern, example and location of a product's serial, as JSON for the data."""
    return asdict(serial_format(ctx.uow(), product))


def buttons(
    ctx: Context, flow: str, step: str, *extra: Button, asked: bool = False
) -> list[Button]:
    """The step's buttons; `asked`: "I don't remember" was just answered, so not offered."""
    found = [*([] if asked else [Button(f"{T}.dont_know_{step}", f"{flow}:dont_know")]), *extra]
    if step == "country" and ctx.email:  # where the account was opened is the likeliest
        home = account_country(ctx.uow(), ctx.email)
        found.insert(0, Button(f"{T}.value", f"{flow}:country:{home}", {"value": name(ctx, home)}))
    if ctx.can_go_back:
        found.append(Button("common.back", "cmd:back"))
    return found


def ask(ctx: Context, data: DetailsData, flow: str, step: str, *extra: Button) -> None:
    """The question for the detail of `step`, with its buttons."""
    assert data.serial_format is not None
    where = Key(f"{T}.location_{data.serial_format['location']}")
    model = data.serial_format["product"]
    ctx.say(f"{T}.ask_{step}", *buttons(ctx, flow, step, *extra), model=model, where=where)


def read(ctx: Context, data: DetailsData, flow: str, step: str, *extra: Button) -> bool | None:
    """The answer to `step` into data.slots: True kept, False explained, None not understood."""
    assert data.serial_format is not None
    text, payload, serial = ctx.text, ctx.payload, data.serial_format
    if payload and payload.startswith(f"{flow}:country:"):
        text, payload = payload.rsplit(":", 1)[1], None
    if payload not in (None, "no", f"{flow}:dont_know"):
        return None
    params = {"model": serial["product"], "example": serial["example"]}
    if payload is None and not_an_answer(ctx):
        return None
    unsure = DONT_KNOW.search(fold(text)) or (step == "serial" and WHERE.search(fold(text)))
    if unsure and not payload and step != "serial" and _more_than_doubt(ctx, step, text):
        guess = PARSERS[step](ctx, text, data.slots, data.family())  # "boh, a Milano credo"
        if isinstance(guess, dict):
            data.slots[step] = {**guess, "guessed": True}
            return True
    if payload or ctx.said_no() or unsure:
        if step == "serial":  # R6: a serial cannot be guessed; say where it is printed
            where = Key(f"{T}.location_{serial['location']}")
            later = Button(f"{T}.later", "cmd:cancel")
            ctx.say(f"{T}.serial_where", *extra, later, where=where, **params)
        else:
            again = buttons(ctx, flow, step, *extra, asked=True)
            ctx.say(f"{T}.{step}_best_guess", *again, **params)
        return False
    found = PARSERS[step](ctx, text, data.slots, data.family())
    if isinstance(found, tuple):
        key, problem = found
        ctx.say(f"{T}.{key}", *buttons(ctx, flow, step, *extra), **params, **problem)
        return False
    if found is None:  # not an answer: the turn goes on to be understood otherwise
        return None
    data.slots[step] = found
    return True


def _more_than_doubt(ctx: Context, step: str, text: str) -> bool:
    """Words beyond "I don't know": a dealer guess needs two of them or a dealer we know
    ("boh, un negozio a Milano" yes, "non lo so proprio" no); a date or country its parser."""
    rest = without_doubt(text)
    if step != "dealer":
        return len(rest) >= 3
    return len(rest.split()) >= 2 or bool(ctx.services.dealers.find(rest))


def not_an_answer(ctx: Context) -> bool:
    """ "sì", "ciao", "grazie", "/start": a few words that mean something else are never a
    detail (a dealer called "sì" would get its tick)."""
    if ctx.text.lstrip().startswith("/"):
        return True
    short = len(ctx.text.split()) <= 3 and not (ctx.nlu and ctx.nlu.entities)
    sure = bool(ctx.nlu and ctx.nlu.confidence >= 0.5)
    return short and (ctx.said_yes() or (sure and ctx.intent in SOCIAL))


def prefill(ctx: Context, data: DetailsData) -> None:
    """Details already named in a sentence ("la mia R5 comprata a marzo 2022 da MediaWorld")."""
    for step in STEPS:
        said = ctx.entity(ENTITIES.get(step, step))
        if said and (step != "serial" or data.serial_format is not None):
            family = data.family() if data.serial_format is not None else None
            found = PARSERS[step](ctx, said, data.slots, family)
            if isinstance(found, dict):
                data.slots[step] = found


def details(slots: dict[str, Slot]) -> Details:
    def value(step: str) -> Any:
        return slots[step]["value"] if step in slots else None

    def guessed(step: str) -> bool:
        return bool(slots.get(step, {}).get("guessed"))

    when = slots.get("date", {})
    return Details(
        serial_number=value("serial"),
        purchase_date=date.fromisoformat(when["value"]) if when else None,
        purchase_date_precision=DatePrecision(when.get("precision", "day")),
        purchase_date_guessed=guessed("date"),
        country=value("country"),
        country_guessed=guessed("country"),
        dealer=value("dealer"),
        dealer_guessed=guessed("dealer"),
    )


def refused(ctx: Context, error: errors.DomainError, slots: dict[str, Slot]) -> bool:
    """Explain a domain refusal and forget only the refused detail, to be asked again."""
    step = {
        errors.SerialAlreadyRegistered: "serial",
        errors.InvalidSerialNumber: "serial",
        errors.SerialCannotBeGuessed: "serial",
        errors.InvalidPurchaseDate: "date",
        errors.UnknownCountry: "country",
    }.get(type(error))
    if step is not None:
        slots.pop(step, None)
        ctx.say(f"{T}.refused_{error.code}", **vars(error))
    return step is not None


def shown(ctx: Context, slot: Slot, step: str) -> Any:
    """A detail as the member reads it: "marzo 2022", "estate 2021 (stima)", "Italia"."""
    value: Any = slot["value"]
    if step == "country":
        value = name(ctx, value)
    elif step == "date":
        day, year = date.fromisoformat(value), value[:4]
        value = {
            "day": day,
            "month": format_skeleton("yMMMM", day, locale=ctx.language),
            "season": Reply(f"{T}.season_{day.month}", {"year": year}),
            "year": year,
        }.get(slot["precision"], Reply(f"{T}.around", {"year": year}))
    return Reply(f"{T}.guessed", {"value": value}) if slot["guessed"] else value


def name(ctx: Context, country: str) -> str:
    return str(Locale.parse(ctx.language).territories.get(country, country))


def invitation_news(ctx: Context, total: int, issued: bool) -> None:
    """R7: the invitation was just sent, or how many points are still needed."""
    threshold = ctx.uow().policy.invitation_points
    if issued:
        ctx.say(f"{T}.invited", Button("menu.levels", "flow:level_choice"), threshold=threshold)
    elif total < threshold:
        ctx.say(f"{T}.to_invitation", needed=threshold - total, threshold=threshold)
