"""Finds every entity in a message with its span; the same for both engines."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from bot.nlu.entities import choices, dates
from bot.nlu.entities.countries import country_names
from bot.nlu.entities.dealers import DealerDirectory
from bot.nlu.entities.emails import find_emails
from bot.nlu.entities.products import NOISE_WORDS as FILLER
from bot.nlu.entities.products import ProductCatalogue
from bot.nlu.entities.serials import find_serials
from bot.nlu.entities.text import Words, fold, spans_overlap
from bot.nlu.result import Entity

LONGEST_COUNTRY = 4


@dataclass
class EntityExtractor:
    catalogue: ProductCatalogue
    dealers: DealerDirectory

    @classmethod
    def from_data(cls, data_dir: Path) -> EntityExtractor:
        return cls(
            ProductCatalogue.from_yaml(data_dir / "catalogue.yml"),
            DealerDirectory.from_yaml(data_dir / "dealers.yml"),
        )

    def extract(self, text: str) -> list[Entity]:
        """Longer and more specific matches win where two would overlap."""
        found: list[Entity] = []
        words = Words(text)
        for entity in [
            *self._emails(text),
            *self._serials(text),
            *self._dates(text),
            *self._products(words),
            *self._dealers(text),
            *self._choices(text),
            *self._countries(text, words),
        ]:
            if not any(spans_overlap((entity.start, entity.end), (e.start, e.end)) for e in found):
                found.append(entity)
        return sorted(found, key=lambda e: e.start)

    def _emails(self, text: str) -> list[Entity]:
        return [Entity("email", v, s, e) for v, s, e in find_emails(text)]

    def _serials(self, text: str) -> list[Entity]:
        return [Entity("serial_number", v, s, e) for v, s, e in find_serials(text)]

    def _dates(self, text: str) -> list[Entity]:
        return [
            Entity("purchase_date", text[m.start() : m.end()].strip(), m.start(), m.end())
            for m in self._date_span.finditer(fold(text))
        ]

    def _products(self, words: Words) -> list[Entity]:
        """Runs of words around a digit ("r5", "70-200"), never starting or ending in filler."""
        found, seen = [], set()
        for index, word in enumerate(words.folded):
            if not any(c.isdigit() for c in word):
                continue
            for start, size in words.runs_through(index, self.catalogue.longest_name):
                edges = (words.folded[start], words.folded[start + size - 1])
                if (start, size) in seen or any(e in FILLER for e in edges):
                    continue
                seen.add((start, size))
                phrase, begin, end = words.run(start, size)
                product = self.catalogue.exact(phrase)
                if product is not None:
                    found.append(Entity("product", product.code, begin, end))
        return sorted(found, key=lambda e: e.start - e.end)  # longest first for overlaps

    def _dealers(self, text: str) -> list[Entity]:
        return [Entity("dealer", v, s, e) for v, s, e in self.dealers.find(text)]

    def _choices(self, text: str) -> list[Entity]:
        found = []
        for name, index in (
            ("tier", choices.TIER_WORDS),
            ("payment_method", choices.PAYMENT_WORDS),
            ("language", choices.LANGUAGE_WORDS),
        ):
            hit = choices.find_choice(index, text)
            if hit is not None:
                found.append(Entity(name, *hit))
        return found

    def _countries(self, text: str, words: Words) -> list[Entity]:
        names = country_names()
        found = []
        for phrase, start, end in words.runs(LONGEST_COUNTRY):
            original = text[start:end]
            if len(phrase) <= 2 and not original.isupper():
                continue  # "it", "de", "es" are words; "IT", "DE", "UK" are countries
            code = names.get(phrase) or (
                phrase.upper() if len(phrase) == 2 and phrase.upper() in names.values() else None
            )
            if code:
                found.append(Entity("country", code, start, end))
        return found

    @cached_property
    def _date_span(self) -> re.Pattern[str]:
        months = "|".join(
            sorted((re.escape(m) for m in dates.month_names()), key=len, reverse=True)
        )
        seasons = "|".join(dates.SEASONS.values())
        parts = "|".join(dates.PART_OF_YEAR.values())
        year = r"(?:19|20)\d\d"
        named = (
            rf"(?:(?:{parts})\s+(?:(?:del|de|of|the)\s+)?)?"
            rf"(?:(?:\d{{1,2}}(?:st|nd|rd|th)?\s+)?(?:{months}|{seasons})\.?\s+"
            rf"(?:(?:del|de|of|'|l')\s*)?)?{year}"
        )
        return re.compile(
            rf"(?<!\w)(?:\d{{1,2}}[/.\-]\d{{1,2}}[/.\-](?:{year}|\d\d)|{named}|"
            rf"{dates.LAST_YEAR}|{dates.AGO})(?!\w)"
        )
