"""Dealers: fuzzy-matched against data/dealers.yml, and free text ("a shop in Milan") allowed."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import yaml
from rapidfuzz import fuzz, process

from bot.nlu.entities.dates import HEDGE, UNKNOWN
from bot.nlu.entities.text import fold, squash

GUESSES = r"boh|best guess|i guess"  # besides the dates' hedges ("forse", "je crois"...)
VAGUE = (
    r"\b(un|una|a|an|ein|eine|einem|einen|un|une|una)\s+(negozio|shop|store|dealer|"
    r"rivenditore|laden|geschaft|fachhandel|magasin|boutique|tienda|comercio)\b|"
    r"\b(ein|eine|einem|einen|irgendein\w*)\s+\w*(laden|geschaft|handel|handler)\b|"
    rf"\b(online|internet|amazon|ebay)\b|\b({GUESSES}|stima)\b|(?<!\w)({HEDGE})(?!\w)"
)
LEAD = re.compile(
    r"^(l'ho comprat[oa] |comprat[oa] |bought (it )?|gekauft |achete |comprado )?"
    r"(da|presso|at|from|bei|chez|en|in|a)\s+",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Dealer:
    name: str
    city: str
    country: str
    aliases: tuple[str, ...] = ()  # what members call it too: "Calumet"


@dataclass(frozen=True)
class DealerAnswer:
    """`known` is a dealer from data/; otherwise the member's own words, kept as given."""

    value: str
    known: Dealer | None
    guessed: bool


# What a member adds around the dealer's name: "boh, un negozio a Milano credo", "(best guess)"
DOUBT = re.compile(
    r"\((best guess|stima|estimation|schatzung|estimacion)\)|(?<!\w)((ich )?glaube( ich)?|"
    r"(ich )?denke( ich)?|creo que|je crois que|credo che|penso che)(?!\w)|"
    rf"(?<!\w)(({UNKNOWN})(\s+(mehr|plus|more|anymore|piu|mas|du tout|at all|genau|proprio|davvero|"
    rf"really|wirklich|gar nicht|vraiment|de verdad|para nada))*|{HEDGE}|{GUESSES})(?!\w)",
    re.IGNORECASE,
)


def without_doubt(text: str) -> str:
    """The words of an answer without its hedges: "boh, un negozio a Milano credo" ->
    "un negozio a Milano" (fold keeps offsets, so the member's own spelling stays)."""
    folded, kept, at = fold(text), [], 0
    for match in DOUBT.finditer(folded):
        kept.append(text[at : match.start()])
        at = match.end()
    kept.append(text[at:])
    return " ".join("".join(kept).split()).strip(" ,.;:!?-()")


class DealerDirectory:
    def __init__(self, dealers: list[Dealer]) -> None:
        self.dealers = dealers

    @classmethod
    def from_yaml(cls, path: Path) -> DealerDirectory:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        return cls(
            [
                Dealer(d["name"], d["city"], country, tuple(d.get("aliases", ())))
                for country, items in raw.items()
                for d in items
            ]
        )

    def lookup(self, text: str, country: str | None = None) -> Dealer | None:
        """The known dealer the text names, preferring the given country."""
        key = squash(LEAD.sub("", text.strip()))
        if not key:
            return None
        pool = [d for d in self.dealers if country is None or d.country == country]
        for dealers in (pool, self.dealers):
            found = self._match(key, dealers)
            if found is not None:
                return found
        return None

    def _match(self, key: str, dealers: list[Dealer]) -> Dealer | None:
        bare = key.replace(" ", "")
        by_bare = {
            squash(name).replace(" ", ""): d for d in dealers for name in (d.name, *d.aliases)
        }
        if bare in by_bare:
            return by_bare[bare]
        inside = [name for name in by_bare if len(name) >= 4 and name in bare]
        if inside:  # "media world milano" names MediaWorld
            return by_bare[max(inside, key=len)]
        prefixed = [name for name in by_bare if name.startswith(bare)]
        if len(bare) >= 3 and len(prefixed) == 1:  # "wex" -> Wex Photo Video
            return by_bare[prefixed[0]]
        best = process.extractOne(bare, by_bare.keys(), scorer=fuzz.ratio, score_cutoff=88)
        return by_bare[best[0]] if best else None

    def parse(self, text: str, country: str | None = None) -> DealerAnswer | None:
        cleaned = " ".join(text.split())[:120]
        if not re.search(r"\w", cleaned):
            return None
        known = self.lookup(cleaned, country)
        vague = bool(re.search(VAGUE, fold(cleaned)))
        if known is not None:  # the dealer, not the sentence; a hedge keeps it a guess
            return DealerAnswer(known.name, known, vague)
        named = self.find(cleaned)
        if named:  # "bought it online from amazon (best guess)": the dealer it names
            dealer = next(d for d in self.dealers if d.name == named[0][0])
            return DealerAnswer(dealer.name, dealer, vague)
        return DealerAnswer(without_doubt(cleaned) or cleaned, None, vague)

    def find(self, text: str) -> list[tuple[str, int, int]]:
        """Known dealer names mentioned in free text ("da media world a Milano"), with offsets."""
        folded = fold(text)
        found = []
        for dealer, pattern in self._patterns:
            match = pattern.search(folded)
            if match and all(name != dealer.name for name, _, _ in found):
                found.append((dealer.name, match.start(), match.end()))
        return found

    @cached_property
    def _patterns(self) -> list[tuple[Dealer, re.Pattern[str]]]:
        patterns = []
        for dealer in self.dealers:
            for name in (dealer.name, *dealer.aliases):
                letters = squash(name).replace(" ", "")
                flexible = r"[\s\-']*".join(re.escape(c) for c in letters)
                patterns.append((dealer, re.compile(rf"(?<!\w){flexible}(?!\w)")))
        return patterns
