"""The four details of a registration read from the member's words (R5, R6): each parser
gives the detail as JSON ({"value", "guessed"}, dates add "precision"), a problem to
explain (a message key and its parameters), or None when the text is not an answer."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from bot.flows.context import Context
from bot.nlu.entities.countries import find_country
from bot.nlu.entities.dates import HEDGE, parse_purchase_date
from bot.nlu.entities.serials import SerialFamily, check_serial
from bot.nlu.entities.text import fold

HEDGED = re.compile(rf"(?<!\w)({HEDGE})(?!\w)")
Slot = dict[str, Any]
Problem = tuple[str, dict[str, Any]]  # a message key and its parameters
Parser = Callable[[Context, str, dict[str, Slot], SerialFamily | None], Slot | Problem | None]


def serial(
    ctx: Context, text: str, slots: dict[str, Slot], family: SerialFamily | None
) -> Slot | Problem:
    assert family is not None
    words = re.findall(r"[\w\-]*\d[\w\-]*", text)  # in a sentence, its longest word with digits
    typed = ctx.entity("serial_number") or (max(words, key=len) if words else text)
    if re.fullmatch(r"[\d\s.\-]+", text):  # "0280 0123 45": all of it, however grouped
        typed = text
    found = check_serial(typed, family)
    if found.value is None:
        return f"serial_{found.problem}", {
            "given": found.digits_given,
            "expected": found.digits_expected,
        }
    return {"value": found.value, "guessed": False}


def purchase_date(
    ctx: Context, text: str, slots: dict[str, Slot], family: SerialFamily | None
) -> Slot | Problem | None:
    found = parse_purchase_date(text, ctx.today, ctx.language)
    if found.value is not None:
        value = found.value.isoformat()
        return {"value": value, "precision": found.precision, "guessed": found.guessed}
    return (f"date_{found.problem}", {}) if found.problem in ("future", "too_old") else None


def country(
    ctx: Context, text: str, slots: dict[str, Slot], family: SerialFamily | None
) -> Slot | Problem:
    named = ctx.entity("country")  # the NLU's span first, then the whole answer
    code = (find_country(named) if named else None) or find_country(text)
    if code is None:
        return "country_unknown", {"text": text[:60]}
    return {"value": code, "guessed": bool(HEDGED.search(fold(text)))}


def dealer(
    ctx: Context, text: str, slots: dict[str, Slot], family: SerialFamily | None
) -> Slot | None:
    answer = ctx.services.dealers.parse(text, slots.get("country", {}).get("value"))
    return None if answer is None else {"value": answer.value, "guessed": answer.guessed}


# Each detail's parser, and the NLU entity that may name it in a first sentence.
PARSERS: dict[str, Parser] = {
    "serial": serial,
    "date": purchase_date,
    "country": country,
    "dealer": dealer,
}
ENTITIES = {"serial": "serial_number", "date": "purchase_date", "country": "country"}
