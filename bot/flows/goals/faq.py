"""R14: answers from the FAQ (data/faq/<lang>.yml) when nothing else understood the text.

The router calls `answers(ctx)`: the text is compared with every question variant of every
entry, in every language, by weighted word overlap (words folded, near spellings matched with
rapidfuzz; the text read with the stop and question words of the entry's language, so that
French "s'" or English "my" only count against their own language's questions); the best
entry above the threshold is answered in the member's language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from rapidfuzz import fuzz, process

from bot.domain.services.points import points_summary
from bot.flows.base import Flow
from bot.flows.context import Context
from bot.flows.messages import Button
from bot.nlu.entities.products import names_model
from bot.nlu.entities.text import squash
from bot.settings import PROJECT_ROOT

FAQ_DIR = PROJECT_ROOT / "data" / "faq"
THRESHOLD = 0.6  # the router found nothing else: a good overlap is enough
STRICT = 0.75  # asked before a flow would start: only a close match of a `preempt` entry
MAX_WORDS = 40


@dataclass(frozen=True)
class Entry:
    id: str
    language: str
    questions: tuple[tuple[str, ...], ...]  # words of each variant
    answer: str
    buttons: tuple[str, ...]
    preempt: bool


@dataclass(frozen=True)
class Words:
    """Folded words without stop words; question words and negations weigh half."""

    stop: frozenset[str]
    cues: frozenset[str]  # "where", "non": they tell similar questions apart
    aliases: dict[str, str]

    def of(self, text: str) -> tuple[str, ...]:
        folded = squash(text.replace("'", " ").replace("’", " ").replace("/", " "))
        found = (self.aliases.get(w, w) for w in (w.strip(".-") for w in folded.split()))
        return tuple(w for w in found if w and w not in self.stop)[:MAX_WORDS]

    def weight(self, word: str) -> float:
        return 0.5 if word in self.cues else 1.0

    def same(self, a: str, b: str) -> bool:
        if a == b:
            return True
        if a in self.cues or b in self.cues or min(len(a), len(b)) < 4:
            return False
        return a[:5] == b[:5] or fuzz.ratio(a, b) >= 85

    def overlap(self, said: tuple[str, ...], variant: tuple[str, ...], strict: bool) -> float:
        """Weighted Dice: the share of both sides' words that the other side also has.
        Question words alone ("what does it mean?") never make a match; strict, a question
        word said must be in the variant too ("can I pay by transfer?" is not "when..."), and
        a request without one is no question ("register a product")."""
        found = [w for w in said if any(self.same(w, v) for v in variant)]
        if not any(w not in self.cues for w in found):
            return 0.0
        asked = self.cues.intersection(said)
        if strict and asked and asked.isdisjoint(variant):
            return 0.0
        if strict and not asked and not self.cues.isdisjoint(variant):
            return 0.0  # "register a product" asks for it done, not "how do I register?"
        total = sum(map(self.weight, said)) + sum(map(self.weight, variant))
        hit = sum(map(self.weight, found))
        hit += sum(self.weight(v) for v in variant if any(self.same(v, w) for w in said))
        return hit / total


class FaqBook:
    """Every entry of every language file, looked up by id for the answer's language."""

    def __init__(self, entries: list[Entry], words: dict[str, Words]) -> None:
        self.entries = entries
        self.words = words  # each language's: its variants and the text compared with them
        cues = frozenset().union(*(w.cues for w in words.values()))
        self.by_id = {(e.id, e.language): e for e in entries}
        # word -> entries whose questions use it: only entries sharing a word can score
        self.index: dict[str, set[int]] = {}
        for number, entry in enumerate(entries):
            for variant in entry.questions:
                for word in variant:
                    self.index.setdefault(word, set()).add(number)
        self.long_words = [w for w in self.index if len(w) >= 4 and w not in cues]

    @classmethod
    def load(cls, directory: Path = FAQ_DIR) -> FaqBook:
        files = {
            p.stem: yaml.safe_load(p.read_text("utf-8")) for p in sorted(directory.glob("*.yml"))
        }
        aliases = {k: v for f in files.values() for k, v in f.get("aliases", {}).items()}
        words = {
            language: Words(
                stop=frozenset(f["stop_words"].split()),
                cues=frozenset(f["question_words"].split()),
                aliases=aliases,
            )
            for language, f in files.items()
        }
        entries = [
            _entry(language, raw, words[language])
            for language, f in files.items()
            for raw in f["entries"]
        ]
        return cls(entries, words)

    def candidates(
        self, said: tuple[str, ...], words: Words, near: dict[str, set[int]]
    ) -> set[int]:
        """Entries with a word that Words.same() could match (others would score 0);
        `near` keeps each word's entries, so a word several languages read is looked up once."""
        found: set[int] = set()
        for word in set(said) - words.cues:
            if word not in near:
                near[word] = self.entries_near(word)
            found |= near[word]
        return found

    def entries_near(self, word: str) -> set[int]:
        """Entries using `word`, a spelling close to it, or a word with its first five letters."""
        found = set(self.index.get(word, set()))
        if len(word) >= 4:
            close = process.extract(
                word, self.long_words, scorer=fuzz.ratio, score_cutoff=85, limit=None
            )
            for match, _, _ in close:
                found |= self.index[match]
            for other in self.long_words:
                if other[:5] == word[:5]:
                    found |= self.index[other]
        return found

    def best(self, text: str, language: str, preempt: bool = False) -> Entry | None:
        scored: list[tuple[float, bool, Entry]] = []
        near: dict[str, set[int]] = {}  # each word's entries, whichever language reads it
        for entries_language, words in self.words.items():  # the text read with its words
            said = words.of(text)
            if not said:
                continue
            scored += [
                (
                    max(words.overlap(said, q, preempt) for q in e.questions),
                    e.language == language,
                    e,
                )
                for e in (self.entries[n] for n in sorted(self.candidates(said, words, near)))
                if e.language == entries_language and (e.preempt or not preempt)
            ]
        score, _, entry = max(scored, key=lambda s: s[:2], default=(0.0, False, None))
        return entry if score >= (STRICT if preempt else THRESHOLD) else None

    def in_language(self, entry: Entry, language: str) -> Entry:
        return self.by_id.get((entry.id, language)) or self.by_id.get((entry.id, "en")) or entry


def _entry(language: str, raw: dict[str, Any], words: Words) -> Entry:
    return Entry(
        id=raw["id"],
        language=language,
        questions=tuple(words.of(q) for q in raw["questions"]),
        answer=" ".join(raw["answer"].split()),
        buttons=tuple(raw.get("buttons", ())),
        preempt=raw.get("preempt", True),
    )


def own_product_named(ctx: Context) -> bool:
    """The member speaks of a product of theirs ("il mio 70-200 non ha la spunta verde")."""
    if ctx.email is None or not re.search(r"\d", ctx.text):
        return False
    products = points_summary(ctx.uow(), ctx.email).products
    return any(names_model(ctx.text, p.model) for p in products)


@lru_cache(maxsize=4)
def book_in(directory: Path) -> FaqBook:
    return FaqBook.load(directory)


class Faq(Flow):
    name = "faq"
    needs_account = False

    def start(self, ctx: Context) -> None:
        ctx.finish()
        ctx.say("faq.intro")

    def answers(self, ctx: Context, preempt: bool = False) -> bool:
        """Say the FAQ answer that matches the member's text; False when none matches well."""
        if ctx.payload is not None or not ctx.text:
            return False
        if preempt and own_product_named(ctx):  # their own data beats a generic answer
            return False
        book = self.book(ctx)
        found = book.best(ctx.text, ctx.language, preempt)
        if found is None:
            return False
        entry = book.in_language(found, ctx.language)
        answer = entry.answer
        if "{sender}" in answer:
            answer = answer.replace("{sender}", ctx.uow().policy.mail_sender)
        buttons = [Button(f"faq.go.{b.partition(':')[2]}", b) for b in entry.buttons]
        ctx.say("faq.answer", *buttons, answer=answer, topic=entry.id)
        ctx.mark("flow", self.name, "started")  # a question answered: the FAQ's goal
        ctx.mark("flow", self.name, "completed")
        return True

    @staticmethod
    def book(ctx: Context) -> FaqBook:
        wired = ctx.services.faq
        if isinstance(wired, FaqBook):
            return wired
        return book_in(Path(wired) if wired else FAQ_DIR)
