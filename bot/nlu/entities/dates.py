"""Purchase dates as members remember them, in five languages, with their precision (R6).

"12/03/2022" is a day, "marzo 2022" a month, "estate 2021" a season, "2019" or
"l'anno scorso" a year, "Anfang 2023" or "around 2020" approximate; "je ne sais plus"
is honestly unknown. A date is never in the future.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

from babel import Locale

from bot.nlu.entities.text import fold

LANGS = ("it", "en", "de", "fr", "es")
EARLIEST = date(1987, 3, 1)

UNKNOWN = (
    r"non (lo |me lo |mi )?(so|ricordo)|non mi ricordo|boh|chissa|non saprei|"
    r"don'?t (know|remember)|no idea|can'?t remember|cannot remember|no clue|dunno|"
    r"wei(ss|s|ß) (ich )?(es )?nicht|keine ahnung|kein plan|"
    r"je (ne )?sais (plus|pas)|aucune idee|je (ne )?(me|m'en) souviens (plus|pas)|"
    r"(j'en )?sais (plus|pas|rien)|j'ai oublie|"
    r"no (lo )?se|no me acuerdo|ni idea|no recuerdo"
)
HEDGE = (
    r"circa|forse|piu o meno|credo|penso|tipo|verso|intorno|around|about|maybe|"
    r"probably|i think|roughly|approximately|approx|sometime|etwa|ungef(a|ä)hr|vielleicht|"
    r"glaube|ca\.|environ|vers|peut-etre|je crois|je pense|a peu pres|alrededor|"
    r"aproximadamente|quizas|tal vez|creo|mas o menos|hacia|~|probabilmente|mi sa|wohl|"
    r"vermutlich|wahrscheinlich|schatze|denke ich|probablement|sans doute|probablemente|"
    r"supongo|calculo"
)
SEASONS = {  # season -> its middle month
    4: "primavera|spring|fruhling|fruehling|fruhjahr|fruehjahr|printemps",
    7: "estate|summer|sommer|ete|verano",
    10: "autunno|autumn|fall|herbst|automne|otono",
    1: "inverno|winter|hiver|invierno",
}
PART_OF_YEAR = {  # qualifier -> a representative month
    2: "inizio|inizi|early|beginning of|start of|anfang|fruh|debut|principios|comienzos|inicios",
    7: "meta|mid|middle of|mitte|mi-|milieu|mediados|mitad",
    11: "fine|late|end of|ende|spat|fin|finales|fines",
}
LAST_YEAR = (
    r"(l')?anno scorso|lo scorso anno|last year|letztes jahr|letzten jahres|vergangenes jahr|"
    r"vergangenen jahres|vorjahr|vorjahres|l'annee derniere|l'an dernier|l'an passe|"
    r"el ano pasado|el pasado ano|del ano pasado"
)
THIS_YEAR = r"quest'anno|this year|dieses jahr|diesen jahres|cette annee|este ano"
ABOUT = r"(?:(?:etwa|ungefahr|ca\.?|circa|about|around|environ|unos|unas|como|quasi) )?"
COUPLE = (  # "a couple of years ago": two, a guess
    r"un paio d'anni fa|un paio di anni fa|a couple of years ago|vor ein paar jahren|"
    r"vor zwei, drei jahren|il y a quelques annees|hace un par de anos|hace unos anos"
)
AGO = (
    r"(?P<n>\d+|un|uno|una|one|a|an|ein|einem|zwei|two|due|deux|dos|tre|three|drei|trois|"
    r"tres|quattro|four|vier|quatre|cuatro|cinque|five|funf|cinq|cinco) "
    r"(anni|anno|years?|jahren?|ans?|anos?) (fa|ago)|"
    rf"vor {ABOUT}(?P<n2>\d+|einem|zwei|drei|vier|funf) jahren?|"
    rf"il y a {ABOUT}(?P<n3>\d+|un|deux|trois|quatre|cinq) ans?|"
    rf"hace {ABOUT}(?P<n4>\d+|un|uno|dos|tres|cuatro|cinco) anos?"
)
NUMBERS = {
    "un": 1,
    "uno": 1,
    "una": 1,
    "one": 1,
    "a": 1,
    "an": 1,
    "ein": 1,
    "einem": 1,
    "due": 2,
    "two": 2,
    "zwei": 2,
    "deux": 2,
    "dos": 2,
    "tre": 3,
    "three": 3,
    "drei": 3,
    "trois": 3,
    "tres": 3,
    "quattro": 4,
    "four": 4,
    "vier": 4,
    "quatre": 4,
    "cuatro": 4,
    "cinque": 5,
    "five": 5,
    "funf": 5,
    "cinq": 5,
    "cinco": 5,
}
YEAR = re.compile(r"(?<!\d)(19\d\d|20\d\d)(?!\d)|'(\d\d)\b")


@dataclass(frozen=True)
class PurchaseDate:
    """`value` with `precision` (day|month|season|year|approximate); None value: unknown."""

    value: date | None
    precision: str | None
    guessed: bool
    problem: str | None = None  # "future" | "too_old" | "unknown" | "unreadable"


@lru_cache(maxsize=1)
def month_names() -> dict[str, int]:
    """Wide and abbreviated month names in the five languages (CLDR via Babel)."""
    names: dict[str, int] = {}
    for lang in LANGS:
        months = Locale(lang).months
        for context in ("format", "stand-alone"):
            for width in ("wide", "abbreviated"):
                for number, name in months[context][width].items():
                    key = fold(name).rstrip(".")
                    if len(key) >= 3:
                        names.setdefault(key, number)
    names.update({"sept": 9, "sett": 9})
    return names


def _year(text: str) -> int | None:
    match = YEAR.search(text)
    if not match:
        return None
    return int(match.group(1)) if match.group(1) else 2000 + int(match.group(2))


def _month(text: str) -> int | None:
    for word in re.findall(r"[a-z]+", text):
        if word in month_names():
            return month_names()[word]
    return None


def _ago(match: re.Match[str]) -> int:
    raw = next(
        g for g in (match.group("n"), match.group("n2"), match.group("n3"), match.group("n4")) if g
    )
    return int(raw) if raw.isdigit() else NUMBERS[raw]


def _checked(value: date, precision: str, guessed: bool, today: date) -> PurchaseDate:
    if value > today:
        return PurchaseDate(None, None, guessed, "future")
    if value < EARLIEST:
        return PurchaseDate(None, None, guessed, "too_old")
    return PurchaseDate(value, precision, guessed)


def _full_date(text: str, language: str | None, today: date) -> date | None:
    if not re.search(r"\d", text):
        return None
    import dateparser  # ~9 MB: loaded when a member types a date, not for every message

    languages = [language] if language in LANGS else list(LANGS)
    settings = {
        "STRICT_PARSING": True,
        "PREFER_DATES_FROM": "past",
        "DATE_ORDER": "DMY",
        "RELATIVE_BASE": _midnight(today),
        "REQUIRE_PARTS": ["day", "month", "year"],
    }
    candidates = [text[m.start() : m.end()] for m in _date_spans().finditer(fold(text))]
    # "comprata il 12/03/2022": the date alone first (fold keeps offsets)
    for candidate in [*candidates, text]:
        found = dateparser.parse(candidate, languages=languages, settings=settings)  # type: ignore[arg-type]
        if found:
            return found.date()
    return None


@lru_cache(maxsize=1)
def _date_spans() -> re.Pattern[str]:
    """Whole dates inside a sentence: 12/03/2022, 3 maggio 2021, March 3rd, 2021."""
    months = "|".join(sorted(map(re.escape, month_names()), key=len, reverse=True))
    day = r"\d{1,2}(?:st|nd|rd|th|er|º|°|\.)?"
    return re.compile(
        rf"(?<!\d)\d{{1,2}}[/.\-]\d{{1,2}}[/.\-](?:\d{{4}}|\d{{2}})(?!\d)"
        rf"|\b{day}\s+(?:de\s+)?(?:{months})\.?\s+(?:de\s+|del\s+)?\d{{4}}\b"
        rf"|\b(?:{months})\.?\s+{day},?\s+\d{{4}}\b"
    )


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day)


def parse_purchase_date(text: str, today: date, language: str | None = None) -> PurchaseDate:
    folded = " ".join(fold(text).replace("’", "'").split())
    guessed = bool(re.search(rf"(?<!\w)({HEDGE})(?!\w)", folded))
    year, month = _year(folded), _month(folded)
    for middle, words in SEASONS.items():
        if re.search(rf"\b({words})\b", folded):
            season_year = year or _last_occurrence(middle, today)
            return _checked(date(season_year, middle, 1), "season", True, today)
    last_year, this_year = re.search(LAST_YEAR, folded), re.search(THIS_YEAR, folded)
    part_year = year or (today.year - 1 if last_year else today.year if this_year else None)
    if part_year is not None and month is None:  # "fine 2022", "Ende letzten Jahres"
        for month_of_part, words in PART_OF_YEAR.items():
            if re.search(rf"(?<!\w)({words})(?!\w)", folded):
                return _checked(date(part_year, month_of_part, 1), "approximate", True, today)
    if last_year:
        return _checked(date(today.year - 1, 7, 1), "year", True, today)
    if this_year:
        return _checked(date(today.year, 1, 1), "year", True, today)
    if re.search(COUPLE, folded):
        return _checked(date(today.year - 2, 7, 1), "year", True, today)
    ago = re.search(AGO, folded)
    if ago:
        return _checked(date(today.year - _ago(ago), 7, 1), "year", True, today)
    full = _full_date(text, language, today)
    if full is not None:
        return _checked(full, "day", guessed, today)
    numeric = re.search(
        r"(?<!\d)(\d{1,2})[/.\-](19[89]\d|20\d\d)(?!\d)|(20\d\d)-(\d{2})(?!\d)", folded
    )
    if numeric:
        m, y = (
            (numeric.group(1), numeric.group(2))
            if numeric.group(1)
            else (numeric.group(4), numeric.group(3))
        )
        if 1 <= int(m) <= 12:
            return _checked(date(int(y), int(m), 1), "month", guessed, today)
    if month is not None:
        month_year = year or (today.year if month <= today.month else today.year - 1)
        return _checked(date(month_year, month, 1), "month", guessed or year is None, today)
    if year is not None:
        return _checked(
            date(year, 7, 1) if year < today.year else date(year, 1, 1),
            "approximate" if guessed else "year",
            guessed,
            today,
        )
    if re.search(rf"(?<!\w)({UNKNOWN})(?!\w)", folded):
        return PurchaseDate(None, None, False, "unknown")
    return PurchaseDate(None, None, False, "unreadable")


def _last_occurrence(month: int, today: date) -> int:
    return today.year if month <= today.month else today.year - 1
