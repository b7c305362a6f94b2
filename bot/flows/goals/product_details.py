"""The four details of a registration (R5, R6), read one at a time; shared by two flows.

register_product and fix_details keep the answers in `ctx.data["slots"]` as JSON, one
{"value", "guessed"} per step (dates add "precision"), and the product's serial format in
`ctx.data["serial"]`. The detail texts are written once, as `register_product.*` keys.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict
from datetime import date
from typing import Any

from babel import Locale
from babel.dates import format_date

from bot.domain import errors
from bot.domain.services.catalogue_queries import account_country, serial_format
from bot.domain.services.products import Details
from bot.domain.types import DatePrecision, Detail
from bot.flows.context import Context
from bot.flows.messages import Button, Key, Reply
from bot.nlu.entities.countries import parse_country
from bot.nlu.entities.dates import HEDGE, UNKNOWN, parse_purchase_date
from bot.nlu.entities.serials import SerialFamily, check_serial
from bot.nlu.entities.text import fold

T = "register_product"
STEPS = ("serial", "date", "country", "dealer")
STEP_OF = dict(zip(Detail, STEPS, strict=True))  # the domain's order of the four details
DONT_KNOW = re.compile(rf"(?<!\w)({UNKNOWN})(?!\w)")
WHERE = re.compile(r"(?<!\w)(dove|where|find|trovo|trovarlo|cerco)(?!\w)")
HEDGED = re.compile(rf"(?<!\w)({HEDGE})(?!\w)")
Slot = dict[str, Any]
Problem = tuple[str, dict[str, Any]]  # a message key and its parameters


def serial_of(ctx: Context, product: str) -> dict[str, str]:
    """Name, pattern, example and location of a product's serial, as JSON for ctx.data."""
    return asdict(serial_format(ctx.uow(), product))


def family(serial: dict[str, str]) -> SerialFamily:
    return SerialFamily(serial["pattern"], serial["example"], serial["location"])


def buttons(
    ctx: Context, flow: str, step: str, *extra: Button, asked: bool = False
) -> list[Button]:
    """The step's buttons; `asked`: "I don't remember" was just answered, so not offered."""
    found = [*([] if asked else [Button(f"{T}.dont_know_{step}", f"{flow}:dont_know")]), *extra]
    if step == "country" and ctx.email:  # where the account was opened is the likeliest
        home = account_country(ctx.uow(), ctx.email)
        found.insert(0, Button(f"{T}.value", f"{flow}:country:{home}", {"value": name(ctx, home)}))
    if ctx.state.get("history"):
        found.append(Button("common.back", "cmd:back"))
    return found


def ask(ctx: Context, flow: str, step: str, *extra: Button) -> None:
    """The question for the detail of `step`, with its buttons."""
    serial = ctx.data["serial"]
    where = Key(f"{T}.location_{serial['location']}")
    ctx.say(
        f"{T}.ask_{step}", *buttons(ctx, flow, step, *extra), model=serial["product"], where=where
    )


def read(ctx: Context, flow: str, slots: dict[str, Slot], *extra: Button) -> bool | None:
    """The answer to ctx.step into slots: True kept, False explained, None not understood."""
    step, text, payload, serial = ctx.step or "", ctx.text, ctx.payload, ctx.data["serial"]
    if payload and payload.startswith(f"{flow}:country:"):
        text, payload = payload.rsplit(":", 1)[1], None
    if payload not in (None, "no", f"{flow}:dont_know"):
        return None
    params = {"model": serial["product"], "example": serial["example"]}
    unsure = DONT_KNOW.search(fold(text)) or (step == "serial" and WHERE.search(fold(text)))
    if payload or ctx.said_no() or unsure:
        if step == "serial":  # R6: a serial cannot be guessed; say where it is printed
            where = Key(f"{T}.location_{serial['location']}")
            later = Button(f"{T}.later", "cmd:cancel")
            ctx.say(f"{T}.serial_where", *extra, later, where=where, **params)
        else:
            again = buttons(ctx, flow, step, *extra, asked=True)
            ctx.say(f"{T}.{step}_best_guess", *again, **params)
        return False
    found = PARSERS[step](ctx, text, slots)
    if isinstance(found, tuple):
        key, problem = found
        ctx.say(f"{T}.{key}", *buttons(ctx, flow, step, *extra), **params, **problem)
        return False
    if found is not None:
        slots[step] = found
    return found is not None


def _serial(ctx: Context, text: str, slots: dict[str, Slot]) -> Slot | Problem:
    words = re.findall(r"[\w\-]*\d[\w\-]*", text)  # in a sentence, its longest word with digits
    typed = ctx.entity("serial_number") or (max(words, key=len) if words else text)
    if re.fullmatch(r"[\d\s.\-]+", text):  # "0280 0123 45": all of it, however grouped
        typed = text
    found = check_serial(typed, family(ctx.data["serial"]))
    if found.value is None:
        return f"serial_{found.problem}", {
            "given": found.digits_given,
            "expected": found.digits_expected,
        }
    return {"value": found.value, "guessed": False}


def _date(ctx: Context, text: str, slots: dict[str, Slot]) -> Slot | Problem | None:
    found = parse_purchase_date(text, ctx.today, ctx.language)
    if found.value is not None:
        value = found.value.isoformat()
        return {"value": value, "precision": found.precision, "guessed": found.guessed}
    return (f"date_{found.problem}", {}) if found.problem in ("future", "too_old") else None


def _country(ctx: Context, text: str, slots: dict[str, Slot]) -> Slot | Problem:
    code = parse_country(ctx.entity("country") or text)
    if code is None:
        return "country_unknown", {"text": text[:60]}
    return {"value": code, "guessed": bool(HEDGED.search(fold(text)))}


def _dealer(ctx: Context, text: str, slots: dict[str, Slot]) -> Slot | None:
    answer = ctx.services.dealers.parse(text, slots.get("country", {}).get("value"))
    return None if answer is None else {"value": answer.value, "guessed": answer.guessed}


PARSERS: dict[str, Callable[[Context, str, dict[str, Slot]], Slot | Problem | None]] = {
    "serial": _serial,
    "date": _date,
    "country": _country,
    "dealer": _dealer,
}
ENTITIES = {"serial": "serial_number", "date": "purchase_date", "country": "country"}


def prefill(ctx: Context, slots: dict[str, Slot]) -> None:
    """Details already named in a sentence ("la mia R5 comprata a marzo 2022 da MediaWorld")."""
    for step in STEPS:
        said = ctx.entity(ENTITIES.get(step, step))
        if said and (step != "serial" or "serial" in ctx.data):
            found = PARSERS[step](ctx, said, slots)
            if isinstance(found, dict):
                slots[step] = found


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
            "month": format_date(day, "LLLL y", locale=ctx.language),
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
