"""Countries by any localized name or alias, as ISO 3166 alpha-2 (Babel's CLDR names)."""

from __future__ import annotations

import re
from functools import lru_cache

from babel import Locale
from rapidfuzz import fuzz, process

from bot.nlu.entities.text import squash

LANGUAGES = ("it", "en", "de", "fr", "es")
ALIASES = {
    "uk": "GB",
    "u.k.": "GB",
    "england": "GB",
    "inghilterra": "GB",
    "scotland": "GB",
    "scozia": "GB",
    "wales": "GB",
    "great britain": "GB",
    "gran bretagna": "GB",
    "britain": "GB",
    "england uk": "GB",
    "angleterre": "GB",
    "inglaterra": "GB",
    "grossbritannien": "GB",
    "usa": "US",
    "u.s.a.": "US",
    "us": "US",
    "america": "US",
    "stati uniti": "US",
    "states": "US",
    "holland": "NL",
    "olanda": "NL",
    "hollande": "NL",
    "holanda": "NL",
    "deutschland": "DE",
    "allemagne": "DE",
    "brd": "DE",
    "svizzera": "CH",
    "schweiz": "CH",
    "suisse": "CH",
    "suiza": "CH",
    "rsm": "SM",
    "vaticano": "VA",
    "emirati": "AE",
    "uae": "AE",
}

# "in Italia", "aus der Schweiz", "en France", "au Royaume-Uni", "desde España": the country after
LEAD = re.compile(
    r"^(?:(?:in|im|from|the|aus|nach|en|au|aux|de|desde|da|dal|dalla|dall'|dai|dagli|a|"
    r"der|die|dem|den|la|le|les|l'|el|los|las|lo)\s+)+(?=\w)"
)


@lru_cache(maxsize=1)
def country_names() -> dict[str, str]:
    """folded name -> alpha-2, for every country in the five languages, plus aliases."""
    names: dict[str, str] = {}
    for language in LANGUAGES:
        for code, name in Locale(language).territories.items():
            if len(code) == 2 and code.isalpha() and code not in {"EU", "EZ", "UN", "QO", "ZZ"}:
                names.setdefault(squash(name), code)
    for alias, code in ALIASES.items():
        names[squash(alias)] = code
    return names


def parse_country(text: str) -> str | None:
    """'Italia', 'germany', 'Royaume-Uni', 'UK', 'IT', 'Itallia' -> alpha-2, or None."""
    key = squash(text).strip()
    if not key:
        return None
    if key in country_names():  # "El Salvador" before its article is taken off
        return country_names()[key]
    key = LEAD.sub("", key).strip() or key
    if key in country_names():
        return country_names()[key]
    if len(key) == 2 and key.isalpha():  # an ISO code typed as such: "IT", "de"
        return key.upper() if key.upper() in set(country_names().values()) else None
    if len(key) < 4:
        return None
    best = process.extractOne(key, country_names().keys(), scorer=fuzz.ratio, score_cutoff=85)
    return country_names()[best[0]] if best else None


def find_country(text: str) -> str | None:
    """A country named inside a sentence ("ich glaube Italien", "c'est en Belgique, je
    pense"): the whole text first, else any run of one to three words named exactly."""
    whole = parse_country(text)
    if whole is not None:
        return whole
    words = squash(text).split()
    for size in (3, 2, 1):
        for start in range(len(words) - size + 1):
            key = " ".join(words[start : start + size])
            if len(key) >= 4 and key in country_names():
                return country_names()[key]
    return None
