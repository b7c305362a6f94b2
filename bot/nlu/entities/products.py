"""Products by any name members use ("r5 mk2", "70-200 2.8", "5d4"), fuzzy, with candidates."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import yaml
from rapidfuzz import fuzz, process

from bot.nlu.entities.text import fold

MARK = {
    "mark ii": "mk2",
    "mark iii": "mk3",
    "mark iv": "mk4",
    "mk ii": "mk2",
    "mkii": "mk2",
    "mk iii": "mk3",
    "mkiii": "mk3",
    "mk iv": "mk4",
    "mkiv": "mk4",
    "mark 2": "mk2",
    "mark 3": "mk3",
    "mark 4": "mk4",
    "mk 2": "mk2",
    "mk 3": "mk3",
    "mk 4": "mk4",
}
NOISE_WORDS = frozenset(
    {
        "canon",
        "eos",
        "obiettivo",
        "lens",
        "lente",
        "objektiv",
        "objectif",
        "objetivo",
        "camera",
        "fotocamera",
        "kamera",
        "appareil",
        "camara",
        "the",
        "la",
        "il",
        "mia",
        "mio",
        "my",
        "meine",
        "mon",
        "ma",
        "mi",
    }
)
NOISE = re.compile(r"\b(" + "|".join(sorted(NOISE_WORDS)) + r")\b")
MARKS = re.compile(r"\b(" + "|".join(sorted(MARK, key=len, reverse=True)) + r")\b")


def product_key(text: str) -> str:
    """A spelling-independent key: 'Canon EOS R5 Mark II' and 'r5 mk ii' both give 'r5 mk2'."""
    key = MARKS.sub(lambda m: MARK[m.group()], fold(text))
    key = NOISE.sub(" ", key)
    key = re.sub(r"(\d)\s*mm\b", r"\1", key)
    key = re.sub(r"\bf\s*/?\s*(\d)", r"\1", key)
    key = key.replace(",", ".")
    key = re.sub(r"(\d)\s+l\b", r"\1l", key)  # "2.8 l" -> "2.8l"
    key = re.sub(r"\b([rc])\s+(\d)", r"\1\2", key)  # "r 5" -> "r5"
    key = re.sub(r"\b(\d{2,3}) (\d{2,3})\b", r"\1-\2", key)  # "24 70" -> "24-70"
    return " ".join(re.sub(r"[^\w.\-]+", " ", key).split())


def names_model(text: str, model: str) -> bool:
    """Whether `text` names this model by its first figure ("il mio 70-200", "my 5D" for
    "EOS 5D Mark IV"): for a member's own products, where that tells them apart."""
    figure = next((w for w in product_key(model).split() if re.search(r"\d", w)), None)
    return (
        figure is not None
        and re.search(rf"(?<![\w.-]){re.escape(figure)}(?![\w-])", product_key(text)) is not None
    )


@dataclass(frozen=True)
class Product:
    code: str
    name: str
    family: str
    points: int


@dataclass(frozen=True)
class ProductMatch:
    """One product when sure; otherwise up to five candidates for the member to pick from."""

    product: Product | None
    candidates: tuple[Product, ...] = ()


class ProductCatalogue:
    def __init__(self, products: list[Product], aliases: dict[str, str]) -> None:
        self.by_code = {p.code: p for p in products}
        self.names: dict[str, str] = {}  # key -> code
        for p in products:
            self.names[product_key(p.name)] = p.code
            self.names[product_key(p.code.replace("-", " "))] = p.code
        for alias, code in aliases.items():
            self.names.setdefault(product_key(alias), code)
        self.names.pop("", None)

    @classmethod
    def from_yaml(cls, path: Path) -> ProductCatalogue:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        families = raw["families"]
        products, aliases = [], {}
        for item in raw["products"]:
            products.append(Product(item["code"], item["name"], item["family"], item["points"]))
            assert item["family"] in families, item["code"]
            for alias in item.get("aliases", []):
                aliases[alias] = item["code"]
        return cls(products, aliases)

    @cached_property
    def longest_name(self) -> int:
        return max(len(key.split()) for key in self.names)

    def exact(self, text: str) -> Product | None:
        code = self.names.get(product_key(text))
        return self.by_code[code] if code else None

    def match(self, text: str) -> ProductMatch:
        """Exact name or alias first; then fuzzy, sure only when one product clearly leads."""
        found = self.exact(text)
        if found is not None:
            return ProductMatch(found, (found,))
        key = product_key(text)
        if not re.search(r"\d", key):  # every model has a number: "non lo so" names none
            return ProductMatch(None)
        scored = process.extract(key, self.names.keys(), scorer=fuzz.WRatio, limit=25)
        best: dict[str, float] = {}
        for name, score, _ in scored:
            code = self.names[name]
            best[code] = max(best.get(code, 0.0), score)
        ranked = sorted(best.items(), key=lambda kv: -kv[1])
        strong = [(code, score) for code, score in ranked if score >= 75]
        candidates = tuple(self.by_code[code] for code, _ in strong[:5])
        if len(strong) == 1 or (strong and strong[0][1] >= 95 and strong[0][1] - strong[1][1] >= 8):
            return ProductMatch(candidates[0], candidates)
        return ProductMatch(None, candidates)
