"""Text normalisation shared by the parsers: case, accents, punctuation, n-gram windows."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

TOKEN = re.compile(r"[\w@.+\-/']+", re.UNICODE)


def fold(text: str) -> str:
    """Lower case without accents ('Città' == 'citta'), same length, so offsets still hold."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def squash(text: str) -> str:
    """fold() with punctuation turned into single spaces."""
    return " ".join(re.sub(r"[^\w./-]+", " ", fold(text)).split())


def tokens(text: str) -> list[tuple[str, int, int]]:
    """Words with their character offsets in the original text."""
    return [(m.group(), m.start(), m.end()) for m in TOKEN.finditer(text)]


class Words:
    """A message's words, folded once, for fast look-ups of every short run of words."""

    def __init__(self, text: str) -> None:
        self.spans = tokens(text)
        self.folded = [squash(word).strip(" .-/'") for word, _, _ in self.spans]

    def run(self, i: int, size: int) -> tuple[str, int, int]:
        phrase = " ".join(w for w in self.folded[i : i + size] if w)
        return phrase, self.spans[i][1], self.spans[i + size - 1][2]

    def runs(self, longest: int) -> Iterator[tuple[str, int, int]]:
        """Every run of 1..longest consecutive words, longest first."""
        for size in range(min(longest, len(self.spans)), 0, -1):
            for i in range(len(self.spans) - size + 1):
                yield self.run(i, size)

    def runs_through(self, index: int, longest: int) -> Iterator[tuple[int, int]]:
        """(start, size) of every run of up to `longest` words that contains word `index`."""
        for size in range(1, longest + 1):
            for start in range(max(0, index - size + 1), min(index, len(self.spans) - size) + 1):
                yield start, size


def spans_overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]
