"""Closed choices in five languages: membership levels, payment methods, chat languages."""

from __future__ import annotations

import re

from bot.nlu.entities.text import fold

TIERS = {
    "silver": [
        "silver",
        "argento",
        "silber",
        "argent",
        "plata",
        "livello base",
        "silberstufe",
        "silbermitgliedschaft",
    ],
    "gold": ["gold", "oro", "niveau or", "l'or", "golden", "goldstufe", "goldmitgliedschaft"],
    "platinum": ["platinum", "platino", "platin", "platine", "platinstufe", "platinmitgliedschaft"],
    "corporate": [
        "corporate",
        "aziendale",
        "azienda",
        "business level",
        "unternehmen",
        "firmen",
        "firmenmitgliedschaft",
        "unternehmensmitgliedschaft",
        "firmenkunde",
        "entreprise",
        "empresa",
        "corporativo",
    ],
}
PAYMENT_METHODS = {
    "card": [
        "card",
        "credit card",
        "debit card",
        "carta",
        "carta di credito",
        "bancomat",
        "karte",
        "kreditkarte",
        "kartenzahlung",
        "kreditkartenzahlung",
        "ec-karte",
        "carte",
        "carte bancaire",
        "carte de credit",
        "cb",
        "tarjeta",
        "tarjeta de credito",
        "visa",
        "mastercard",
        "amex",
        "american express",
    ],
    "bank_transfer": [
        "bank transfer",
        "transfer",
        "wire",
        "wire transfer",
        "bonifico",
        "bonifico bancario",
        "uberweisung",
        "ueberweisung",
        "bankuberweisung",
        "virement",
        "virement bancaire",
        "transferencia",
        "transferencia bancaria",
        "iban",
        "sepa",
    ],
}
LANGUAGES = {
    "it": ["italiano", "italian", "italienisch", "italien", "italiana", "ita"],
    "en": ["inglese", "english", "englisch", "anglais", "ingles", "eng"],
    "de": ["tedesco", "german", "deutsch", "allemand", "aleman"],
    "fr": ["francese", "french", "franzosisch", "francais", "frances"],
    "es": ["spagnolo", "spanish", "spanisch", "espagnol", "espanol", "castellano"],
}


def _index(table: dict[str, list[str]]) -> list[tuple[re.Pattern[str], str]]:
    pairs = [(word, value) for value, words in table.items() for word in words]
    pairs.sort(key=lambda p: -len(p[0]))  # "carta di credito" before "carta"
    return [(re.compile(rf"(?<!\w){re.escape(word)}(?!\w)"), value) for word, value in pairs]


TIER_WORDS, PAYMENT_WORDS, LANGUAGE_WORDS = (
    _index(TIERS),
    _index(PAYMENT_METHODS),
    _index(LANGUAGES),
)


def find_choice(index: list[tuple[re.Pattern[str], str]], text: str) -> tuple[str, int, int] | None:
    folded = fold(text)  # same length as text for the scripts we serve
    for pattern, value in index:
        match = pattern.search(folded)
        if match:
            return value, match.start(), match.end()
    return None


def parse_tier(text: str) -> str | None:
    found = find_choice(TIER_WORDS, text)
    return found[0] if found else None


def parse_payment_method(text: str) -> str | None:
    found = find_choice(PAYMENT_WORDS, text)
    return found[0] if found else None


def parse_language(text: str) -> str | None:
    folded = fold(text).strip()
    if folded in LANGUAGES:
        return folded
    found = find_choice(LANGUAGE_WORDS, text)
    return found[0] if found else None
